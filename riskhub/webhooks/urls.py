from django.urls import path

from riskhub.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.endpoint_create, name="create"),
    path("<uuid:uuid>/", views.detail, name="detail"),
    path("<uuid:uuid>/edit/", views.endpoint_edit, name="edit"),
    path("<uuid:uuid>/enabled/", views.endpoint_toggle, name="toggle"),
    path("<uuid:uuid>/rotate-secret/", views.rotate_secret, name="rotate"),
    path("<uuid:uuid>/test/", views.send_test, name="test"),
    path("<uuid:uuid>/delete/", views.endpoint_delete, name="delete"),
]
