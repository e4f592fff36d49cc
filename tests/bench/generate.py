"""A synthetic catalog of N components, loaded with PostgreSQL COPY in one transaction.

Shape (fixed whatever N is, except components and what hangs off them): 500 teams, 2,000
systems in 25 domains, 300 tags, 2–4 tags and 1–5 dependencies per component. Popularity is
skewed the way real catalogs are: a few big teams, common tags and languages, and 200 "core"
services that many others depend on. Names and descriptions come from a word list, so trigram
search sees realistic text.

Steps (one transaction, so an interrupted load leaves the previous catalog intact):
1. Empty the catalog tables.
2. Drop the secondary indexes of the big tables and skip foreign-key triggers for the load.
3. COPY teams, domains, systems, tags, components, component tags and dependencies.
4. Recreate the indexes with their original definitions and move the id sequences on.
Then VACUUM ANALYZE (outside the transaction) and record what was generated in `bench_meta`.
"""

import random
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from django.db import connection, transaction
from django.db.models import Model
from django.utils.lorem_ipsum import WORDS as LOREM_WORDS
from psycopg.types.json import Jsonb

from catalog import search_table, versioning
from catalog.models import Component, Dependency, Domain, System, Tag, Team
from catalog.services import search_text_for

# Bump when the generated shape changes, so an existing bench database is rebuilt.
GENERATOR_VERSION = "1"
SEED = 20250301
TEAMS, SYSTEMS, DOMAINS, TAGS, CORE_SERVICES = 500, 2_000, 25, 300, 200
BULK_TABLES = [Component, Component.tags.through, Dependency]
SMALL_TABLES = [Team, Domain, System, Tag]

VOCABULARY = """
account accounting ad address admin alert analytics api approval archive asset audit auth
availability backup balance bank batch billing booking broker budget build bundle cache
calendar campaign card cart catalog chat checkout claim classifier client cluster compliance
config connector consent contract cost coupon credit crm customer dashboard data delivery
deploy device discount dispatch document domain driver email engine enrichment event export
feature feed fraud fulfilment gateway geo graph health identity image import index ingest
insight inventory invoice kafka kyc label ledger lending license listing loan locale location
log loyalty mail map marketing match media merchant message metering metrics migration
mobile model monitor notification offer onboarding order otp partner password payment payout
permission pipeline planner platform policy portal pricing print product profile promotion
provisioning proxy push quote rate recommendation reconciliation referral refund registry
reminder render report reservation retail review risk routing rule scheduler scoring search
secret segment session settlement shipping signup sms snapshot social storage stream
subscription supplier support survey sync tax telemetry template tenant ticket token
tracking transfer translation travel trust upload user vault vendor video voucher wallet
warehouse webhook workflow
""".split()  # noqa: SIM905 - a word list reads better as text
FILLER = """
the a of for and to with from that which handles owns serves stores exposes reads writes
publishes consumes internal external legacy new shared core batch realtime daily nightly
""".split()  # noqa: SIM905
TAG_EXTRAS = """
java go python typescript kotlin rust ruby scala node react grpc rest graphql postgres
mysql redis kafka rabbitmq s3 dynamodb elasticsearch spark airflow k8s lambda terraform
pci gdpr sox hipaa pii public internal critical beta deprecated oncall sla frontend
backend mobile ios android web batch streaming ml
""".split()  # noqa: SIM905
LANGUAGES = [
    ("java", 24), ("go", 18), ("python", 18), ("typescript", 16), ("kotlin", 8),
    ("ruby", 4), ("scala", 3), ("rust", 3), ("csharp", 3), ("php", 2), ("elixir", 1),
]  # fmt: skip
TYPES = [
    ("service", 55), ("library", 15), ("website", 10), ("worker", 10),
    ("data-pipeline", 7), ("other", 3),
]  # fmt: skip
LIFECYCLES = [("production", 70), ("experimental", 15), ("deprecated", 15)]
TIERS = [(1, 10), (2, 25), (3, 45), (4, 20)]
SUFFIX = {
    "service": "api",
    "library": "lib",
    "website": "web",
    "worker": "worker",
    "data-pipeline": "etl",
    "other": "tool",
}


class Picker:
    """Weighted random choice, cheap enough to call millions of times."""

    def __init__(self, rng: random.Random, weighted: Iterable[tuple[object, float]]):
        self.rng = rng
        self.values, weights = zip(*weighted, strict=True)
        self.cum = list(accumulate(weights))

    def one(self):
        return self.rng.choices(self.values, cum_weights=self.cum)[0]

    def many(self, k: int) -> list:
        return self.rng.choices(self.values, cum_weights=self.cum, k=k)

    def distinct(self, k: int) -> list:
        picked: list = []
        while len(picked) < k:
            value = self.one()
            if value not in picked:
                picked.append(value)
        return picked


def zipf(values: list, exponent: float = 0.9) -> list[tuple[object, float]]:
    return [(v, 1 / (rank + 1) ** exponent) for rank, v in enumerate(values)]


def base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


class CatalogShape:
    """Names and weights of everything except the components, the same for every N."""

    def __init__(self, rng: random.Random):
        pairs = [f"{a}-{b}" for a in VOCABULARY for b in VOCABULARY if a != b]
        names = rng.sample(pairs, TEAMS + SYSTEMS + DOMAINS)
        self.teams = names[:TEAMS]
        self.systems = names[TEAMS : TEAMS + SYSTEMS]
        self.domains = names[TEAMS + SYSTEMS :]
        self.tags = list(dict.fromkeys(TAG_EXTRAS + rng.sample(VOCABULARY, len(VOCABULARY))))
        self.tags = self.tags[:TAGS]
        # Each system belongs to one team; big teams own more systems.
        team_picker = Picker(rng, zipf(list(range(TEAMS)), 0.8))
        self.system_owner = [team_picker.one() for _ in range(SYSTEMS)]
        self.system_domain = [rng.randrange(DOMAINS) for _ in range(SYSTEMS)]


def title_of(slug: str) -> str:
    return " ".join(word.capitalize() for word in slug.split("-"))


def _prepared_defaults(model: type[Model], given: list[str]) -> tuple[list[str], list]:
    """Columns not in `given` with their default values, so new model fields need no change here."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.attname in given or field.primary_key:
            continue
        columns.append(field.column)
        values.append(field.get_db_prep_save(field.get_default(), connection))
    return columns, values


def copy_rows(model: type[Model], given: list[str], rows: Iterable[tuple]) -> int:
    """COPY rows of `given` columns (attnames) into the model's table, defaults for the rest."""
    columns, tail = _prepared_defaults(model, given)
    fields = {f.attname: f.column for f in model._meta.concrete_fields}
    column_list = ", ".join([fields[name] for name in given] + columns)
    count = 0
    with connection.cursor() as cursor:
        sql = f"COPY {model._meta.db_table} ({column_list}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row((*row, *tail))
                count += 1
    return count


def _stamp(rng: random.Random, now: datetime) -> datetime:
    return now - timedelta(seconds=rng.randrange(2 * 365 * 86400))


def _entity_rows(names: list[str], extra: Iterator[tuple], rng: random.Random) -> Iterator[tuple]:
    now = datetime.now(UTC)
    for pk, (name, more) in enumerate(zip(names, extra, strict=True), start=1):
        stamp = _stamp(rng, now)
        yield (pk, uuid.UUID(int=rng.getrandbits(128)), name, title_of(name), stamp, stamp, *more)


ENTITY = ["id", "uid", "name", "title", "created_at", "updated_at"]


def load_shape(shape: CatalogShape, rng: random.Random) -> None:
    teams = ((f"Owns {title_of(n)}.", f"#{n}", "team") for n in shape.teams)
    copy_rows(Team, [*ENTITY, "description", "contact_channel", "type"],
              _entity_rows(shape.teams, teams, rng))  # fmt: skip
    domains = ((1 + i % TEAMS, f"group:default/{shape.teams[i % TEAMS]}") for i in range(DOMAINS))
    copy_rows(Domain, [*ENTITY, "owner_id", "owner_ref"], _entity_rows(shape.domains, domains, rng))
    systems = (
        (
            1 + owner,
            f"group:default/{shape.teams[owner]}",
            1 + domain,
            f"domain:default/{shape.domains[domain]}",
            f"The {title_of(name)} capability.",
        )
        for name, owner, domain in zip(
            shape.systems, shape.system_owner, shape.system_domain, strict=True
        )
    )
    copy_rows(System, [*ENTITY, "owner_id", "owner_ref", "domain_id", "domain_ref", "description"],
              _entity_rows(shape.systems, systems, rng))  # fmt: skip
    copy_rows(Tag, ["id", "name"], ((i + 1, t) for i, t in enumerate(shape.tags)))


class ComponentGenerator:
    """Component rows plus, as a side effect, their tag and dependency rows."""

    COLUMNS = [
        *ENTITY, "description", "type", "lifecycle", "tier", "language", "owner_id",
        "owner_ref", "system_id", "system_ref", "repository_url", "annotations", "search_text",
    ]  # fmt: skip

    def __init__(self, shape: CatalogShape, size: int, rng: random.Random):
        self.shape, self.size, self.rng = shape, size, rng
        self.words = Picker(rng, zipf(rng.sample(VOCABULARY, len(VOCABULARY)), 0.7))
        self.filler = Picker(rng, zipf(FILLER + list(LOREM_WORDS), 0.5))
        self.tags = Picker(rng, zipf(list(range(len(shape.tags))), 1.0))
        self.systems = Picker(rng, zipf(list(range(SYSTEMS)), 0.6))
        self.teams = Picker(rng, zipf(list(range(TEAMS)), 0.8))
        self.languages, self.types = Picker(rng, LANGUAGES), Picker(rng, TYPES)
        self.lifecycles, self.tiers = Picker(rng, LIFECYCLES), Picker(rng, TIERS)
        self.core = rng.sample(range(1, size + 1), min(CORE_SERVICES, size))
        self.names: list[str] = []
        self.tag_rows: list[tuple[int, int]] = []

    def description(self) -> str:
        words = []
        for _ in range(self.rng.randint(10, 25)):
            words.append(self.words.one() if self.rng.random() < 0.6 else self.filler.one())
        return " ".join(words).capitalize() + "."

    def rows(self) -> Iterator[tuple]:
        rng, now, shape = self.rng, datetime.now(UTC), self.shape
        for pk in range(1, self.size + 1):
            kind = self.types.one()
            name = f"{self.words.one()}-{self.words.one()}-{SUFFIX[kind]}-{base36(pk)}"
            self.names.append(name)
            title, description = title_of(name), self.description()
            system = self.systems.one()
            owner = shape.system_owner[system] if rng.random() < 0.8 else self.teams.one()
            tag_ids = self.tags.distinct(rng.randint(2, 4))
            self.tag_rows.extend((pk, t + 1) for t in tag_ids)
            tags = [shape.tags[t] for t in tag_ids]
            stamp = _stamp(rng, now)
            yield (
                pk, uuid.UUID(int=rng.getrandbits(128)), name, title, stamp, stamp, description,
                kind, self.lifecycles.one(), self.tiers.one(), self.languages.one(), owner + 1,
                f"group:default/{shape.teams[owner]}", system + 1,
                f"system:default/{shape.systems[system]}", f"https://git.example.com/acme/{name}",
                Jsonb({"backstage.io/source-location": f"url:https://git.example.com/acme/{name}"}),
                search_text_for(name, title, description, tags),
            )  # fmt: skip

    def dependency_rows(self) -> Iterator[tuple]:
        """1–5 per component: mostly any service, some core ones, some unresolved resources."""
        rng = self.rng
        for pk in range(1, self.size + 1):
            targets: dict[str, int | None] = {}
            for _ in range(rng.randint(1, 5)):
                roll = rng.random()
                if roll < 0.1:
                    targets[f"resource:default/{self.words.one()}-db"] = None
                    continue
                target = rng.choice(self.core) if roll < 0.3 else rng.randint(1, self.size)
                if target != pk:
                    targets[f"component:default/{self.names[target - 1]}"] = target
            yield from ((pk, ref, target) for ref, target in targets.items())


def _secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of indexes that back no constraint: safe to drop and recreate."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
            "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)",
            [tables],
        )
        return cursor.fetchall()


def populate(size: int, seed: int = SEED, log=print) -> dict[str, float]:
    """Replace the catalog with `size` generated components; returns timings in seconds."""
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    tables = [m._meta.db_table for m in BULK_TABLES]
    small = [m._meta.db_table for m in SMALL_TABLES]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_meta")
        cursor.execute(
            f"TRUNCATE {', '.join(small + tables)} RESTART IDENTITY CASCADE"  # noqa: S608
        )
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        indexes = _secondary_indexes(tables)
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        shape = CatalogShape(rng)
        load_shape(shape, rng)
        generator = ComponentGenerator(shape, size, rng)
        copy_rows(Component, ComponentGenerator.COLUMNS, generator.rows())
        copy_rows(Component.tags.through, ["component_id", "tag_id"], generator.tag_rows)
        deps = copy_rows(
            Dependency,
            ["source_id", "target_ref", "target_component_id"],
            generator.dependency_rows(),
        )
        timings["copy"] = time.perf_counter() - started
        log(f"  copied {size:,} components, {len(generator.tag_rows):,} tags, {deps:,} deps")
        for name, definition in indexes:
            log(f"  index {name}")
            cursor.execute(definition)
        for table in [*small, Component._meta.db_table]:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        log("  the narrow search table")
        search_table.rebuild(cursor)  # the COPY ran with triggers off: copy the rows again
        timings["indexes"] = time.perf_counter() - started - timings["copy"]
        versioning.bump()  # and say the catalog changed
    vacuum_analyze()
    timings["total"] = time.perf_counter() - started
    write_meta(size, seed, timings)
    return timings


def vacuum_analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def ensure_meta_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")


def write_meta(size: int, seed: int, timings: dict[str, float]) -> None:
    """Record what was generated, and how long it took, for runs that reuse the catalog."""
    meta = {"size": size, "seed": seed, "version": GENERATOR_VERSION}
    meta |= {f"seconds_{step}": round(value, 1) for step, value in timings.items()}
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_meta")
        for key, value in meta.items():
            cursor.execute("INSERT INTO bench_meta VALUES (%s, %s)", [key, str(value)])


def read_meta() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, value FROM bench_meta")
        return dict(cursor.fetchall())


def is_populated(size: int, seed: int = SEED) -> bool:
    """Whether the database already holds exactly this generated catalog."""
    meta = read_meta()
    expected = {"size": str(size), "seed": str(seed), "version": GENERATOR_VERSION}
    same = all(meta.get(key) == value for key, value in expected.items())
    return same and Component.objects.count() == size
