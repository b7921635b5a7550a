from django.urls import path

from riskhub.core import people

app_name = "core"
urlpatterns = [
    path("", people.people, name="people"),
    path("<uuid:user_uuid>/offboard/", people.offboard, name="offboard"),
]
