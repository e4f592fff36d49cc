"""The portal's API errors in one shape, the catalog API's (Backstage's):
{"error": {"name": ..., "message": ...}}, so a client reads every refusal the same way."""

from django.http import JsonResponse


def api_error(status: int, name: str, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": {"name": name, "message": message}}, status=status)
    for header, value in headers.items():
        response[header] = value
    return response
