"""Golden paths: a new service from a platform-approved template, in one provisioning request.

Pure parts (values in, values out): `parameters` (what the wizard asks and how it checks it),
`rendering` (Jinja templates in a sandbox), `manifests` and `argo` (Kubernetes and Argo CD
objects), `catalog_info`, `planning` (the whole plan: files, pipeline, manifests, steps) and
`validation` (the real schemas). `services` does the database work around them.
"""
