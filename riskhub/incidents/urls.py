from django.urls import path

from riskhub.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<uuid:uuid>/", views.detail, name="detail"),
    path("<uuid:uuid>/edit/", views.edit, name="edit"),
    path("<uuid:uuid>/notify/", views.notify, name="notify"),
    path("<uuid:uuid>/action/", views.action, name="action"),
    path("<uuid:uuid>/status/", views.status, name="status"),
    path("<uuid:uuid>/close/", views.close, name="close"),
]
