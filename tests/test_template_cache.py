"""Compiled templates are kept between processes: a `tracker remind` run or a new web
worker loads the email and page templates compiled by an earlier one, and a changed
template is compiled again."""

from __future__ import annotations

import pytest
from jinja2 import FileSystemBytecodeCache

from tracker import create_app


@pytest.fixture
def fresh_app(app, tmp_path):
    """Another process's app over the same templates, its compiled code in tmp_path."""

    def make():
        other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
        other.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(tmp_path))
        return other

    return make


def test_a_second_process_loads_the_templates_without_compiling(app, fresh_app, monkeypatch):
    assert isinstance(app.jinja_env.bytecode_cache, FileSystemBytecodeCache)
    first = fresh_app()
    first.jinja_env.get_template("emails/reminder.txt")

    second = fresh_app()

    def compile_again(*_args, **_kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(second.jinja_env, "compile", compile_again)
    template = second.jinja_env.get_template("emails/reminder.txt")
    assert template.name == "emails/reminder.txt"


def test_a_changed_template_is_compiled_again(fresh_app):
    from jinja2 import DictLoader

    first = fresh_app()
    first.jinja_env.loader = DictLoader({"t.txt": "สวัสดี {{ name }}"})
    assert first.jinja_env.get_template("t.txt").render(name="ก") == "สวัสดี ก"

    second = fresh_app()
    second.jinja_env.loader = DictLoader({"t.txt": "ลาก่อน {{ name }}"})
    assert second.jinja_env.get_template("t.txt").render(name="ก") == "ลาก่อน ก"
