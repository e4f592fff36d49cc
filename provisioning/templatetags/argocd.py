"""`{% load argocd %}{% argocd_not_connected as state %}`: Argo CD's "not connected" sentence
(naming the settings), or "" when it is connected; read from the settings, no call."""

from django import template

from provisioning import argocd

register = template.Library()


@register.simple_tag
def argocd_not_connected() -> str:
    connected, status = argocd.connection_status()
    return "" if connected else status
