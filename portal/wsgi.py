from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.development")
application = get_wsgi_application()


def _prepare() -> None:
    """Create (and check) the directories the web process writes: at start, not at import
    of settings, and with an error naming the setting if one is not writable."""
    from submissions.core import paths

    paths.prepare("web")


_prepare()


def _warm_up() -> None:
    """Do at boot what each worker's first request would otherwise do while a client waits.

    Importing every view through the URLconf costs about 0.3 s of CPU, and the staging
    storage's S3 client another 0.15 s; with 4 workers on 2 cores, a client arriving just
    after a (re)start waited for several of these in turn (an upload's first calls to
    create, then sign, each reached a different cold worker). No request goes to S3 or the
    database here.
    """
    from django.urls import get_resolver

    from submissions.uploads.services.backends import staging_backend

    get_resolver().url_patterns  # noqa: B018 (importing the views is the point)
    staging_backend()  # with S3, creates the storage's client for this (the serving) thread


_warm_up()
