"""The new service's catalog-info.yaml: the same entry the portal registers (pure)."""

from provisioning.golden_paths.manifests import to_yaml

ANNOTATION_GOLDEN_PATH = "portal.internal/golden-path"


def descriptor(
    name: str, team: str, description: str, language: str, golden_path: str, repository_url: str
) -> dict:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": name,
            "description": description,
            "tags": [language] if language else [],
            "annotations": {
                ANNOTATION_GOLDEN_PATH: golden_path,
                "portal.internal/language": language,
                "backstage.io/source-location": f"url:{repository_url}",
            },
        },
        "spec": {"type": "service", "lifecycle": "experimental", "owner": f"group:default/{team}"},
    }


def descriptor_yaml(**fields) -> str:
    return to_yaml(descriptor(**fields))
