"""The form renderer writes a <select> in Python: the HTML is exactly Django's own."""

import datetime
import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.urls import reverse

from brigade.ledger import registry
from brigade.renderer import FormRenderer

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')  # masked anew on every page
CHOICES = [
    ("", "---------"),
    ("超速", "超速 & <b>"),
    ("分组", [("1", "酒后驾驶"), ("2", '"引号"')]),
    (3, "数字"),
]


@pytest.mark.parametrize(
    "widget, value",
    [
        (forms.Select(choices=CHOICES), "超速"),
        (forms.Select(choices=CHOICES, attrs={"data-autosubmit": True, "hidden": False, "class": 'a"b'}), 3),
        (forms.SelectMultiple(choices=CHOICES), ["1", "2"]),
        (forms.NullBooleanSelect(), True),
        (forms.Select(choices=[]), None),
        (forms.Select(choices=[(1, datetime.date(2024, 3, 5)), (2, 1234567)]), 1),  # labels Django localises
    ],
)
def test_a_select_is_written_as_djangos_templates_write_it(widget, value):
    ours = widget.render("name", value, attrs={"id": "id_name"}, renderer=FormRenderer())
    django = widget.render("name", value, attrs={"id": "id_name"}, renderer=DjangoTemplates())
    assert str(ours) == str(django)
    assert "<select" in ours


@pytest.mark.parametrize("kind", [lg.kind for lg in registry.all()])
def test_every_ledger_page_with_selects_is_the_same_as_with_djangos_renderer(kind, as_clerk, settings):
    """The list (its filters) and the new-record form of every ledger, byte for byte."""
    pages = {}
    for renderer in ("brigade.renderer.FormRenderer", "django.forms.renderers.DjangoTemplates"):
        settings.FORM_RENDERER = renderer
        pages[renderer] = [
            TOKEN.sub("", as_clerk.get(reverse(name, args=[kind])).content.decode())
            for name in ("ledger:list", "ledger:create")
        ]
    ours, django = pages.values()
    assert ours == django
    assert "<select" in ours[0] + ours[1]
