"""Templates ask the access policy the same question the view will: `{% can "request.approve"
req as may_approve %}{% if may_approve %}…button…{% endif %}`."""

from django import template

from catalog import access

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, action: str, obj=None) -> bool:
    return access.can(context["request"].user, action, obj)


@register.filter
def platform_admin(user) -> bool:
    return access.is_platform_admin(user)
