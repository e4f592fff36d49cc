from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "provisioning/index.html")


def create_service(request: HttpRequest) -> HttpResponse:
    return render(request, "provisioning/create_service.html")
