"""The catalog in Backstage's terms: descriptors in and out, the entity query language, the API."""
