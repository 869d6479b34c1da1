"""The help centre: candidate help (``/help/``) and the exam client's downloads with
installation steps (``/help/client/``). Never asked for a client signature."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from examhall.lockdown.downloads import client_downloads


def help_index(request: HttpRequest) -> HttpResponse:
    return render(request, "help/index.html", {})


def help_client(request: HttpRequest) -> HttpResponse:
    downloads = client_downloads()
    return render(request, "help/client.html",
                  {"downloads": downloads,
                   "by_platform": {download.platform: download for download in downloads}})
