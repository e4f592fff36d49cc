"""Filters for the catalog list's repeated markup (catalog/list_markup.py)."""

from django import template

from catalog import list_markup

register = template.Library()
register.filter("facet_options", list_markup.facet_options)
register.filter("result_rows", list_markup.result_rows)
