"""Flask extensions, created unbound and attached in create_app()."""

from flask_login import LoginManager
from flask_wtf import CSRFProtect

from .db import db

login_manager = LoginManager()
csrf = CSRFProtect()

__all__ = ["db", "login_manager", "csrf"]
