"""The load benchmark's users (tests/bench/load_bench.py runs this file with locust, headless).

Every user sends, one after another with no think time unless LOAD_BENCH_THINK is set, a mix
of what people and scripts do with the portal, drawn from URLs the benchmark prepared from the
catalog (a JSON file named by LOAD_BENCH_DATA; this file never imports Django):
- 70% catalog list views: searches with filters, filter combinations, the default view, pages;
- 15% service pages: random services and the most depended-on ones;
- 10% JSON API reads with a personal access token (by-query, facets, by-name);
- 5% provisioning requests: the request form posted (a message queue in a non-production
  environment) by a user signed in through the login form; a 302 to the request's page is
  success, and the benchmark checks afterwards that the worker finished every one.

TLS ends at the proxy that loopback stands in for, so requests say `X-Forwarded-Proto: https`
(as the proxy would) and carry their session cookie themselves: the portal marks it Secure,
which a cookie jar never sends over plain HTTP.
"""

import itertools
import json
import os
import random
import re
import uuid
from urllib.parse import urlencode

from locust import FastHttpUser, constant, task

DATA = json.loads(open(os.environ["LOAD_BENCH_DATA"]).read())  # noqa: SIM115 - read once
THINK_S = float(os.environ.get("LOAD_BENCH_THINK", "0"))
SESSIONS = itertools.count()
PURPOSES = itertools.count()
REQUEST_PAGE = re.compile(r"/provisioning/requests/(\d+)/$")


class PortalUser(FastHttpUser):
    """One person (or script) using the portal; the task weights are the issue's mix."""

    wait_time = constant(THINK_S)

    def on_start(self) -> None:
        sessions = DATA["sessions"]
        self.session = sessions[next(SESSIONS) % len(sessions)]
        self.signed_in = {
            "X-Forwarded-Proto": "https",
            "Cookie": f"sessionid={self.session['sessionid']}; "
            f"csrftoken={self.session['csrftoken']}",
        }

    @task(70)
    def catalog_list(self) -> None:
        url = random.choice(DATA["list_urls"])
        self.client.get(url, name="catalog list", headers=self.signed_in)

    @task(15)
    def service_page(self) -> None:
        urls = DATA["popular_urls"] if random.random() < 0.2 else DATA["service_urls"]
        self.client.get(random.choice(urls), name="service page", headers=self.signed_in)

    @task(10)
    def api_read(self) -> None:
        headers = {"X-Forwarded-Proto": "https", "Authorization": f"Bearer {DATA['token']}"}
        self.client.get(random.choice(DATA["api_urls"]), name="API read", headers=headers)

    @task(5)
    def provisioning_request(self) -> None:
        path = "/provisioning/request/queue/"
        form = {
            "service": random.choice(self.session["services"]),
            "environment": DATA["environment"],
            # Unique across the levels too: each level is a new locust process.
            "purpose": f"{DATA['purpose_prefix']}-{os.getpid():x}-{next(PURPOSES):x}",
            "dead_letter": "on",
            "max_receive_count": "5",
            "visibility_timeout": "30",
            "retention_days": "4",
            "idempotency_key": uuid.uuid4().hex,
            "action": "submit",
            "csrfmiddlewaretoken": self.session["csrftoken"],
        }
        # Django checks the Referer of a secure POST against the host.
        headers = {
            **self.signed_in,
            "Referer": f"https://{DATA['host']}{path}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        with self.client.post(
            path,
            data=urlencode(form),
            headers=headers,
            name="provisioning request",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code != 302 or not REQUEST_PAGE.search(location):
                response.failure(f"not submitted: HTTP {response.status_code}")
