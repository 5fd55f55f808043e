"""Settings for the test suite: the production settings with a throwaway key and fast hashing.

DATABASE_URL still decides the database, so the same suite runs on PostgreSQL and SQLite.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-any-real-deployment")

from ctg_workshops.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests render pages without running collectstatic first.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Static files come from the finders; there is no collected STATIC_ROOT in a test run.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# Tests send messages themselves (reports.notifications.notifications_send_due), not in a thread.
NOTIFICATIONS_SEND_ON_COMMIT = False
