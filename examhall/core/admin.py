from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("ExamHall exam administration")
admin.site.site_title = _("ExamHall")
admin.site.index_title = _("Exam office")
