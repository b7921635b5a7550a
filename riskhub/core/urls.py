from django.urls import path

from riskhub.core import people

app_name = "core"
urlpatterns = [
    path("", people.people, name="people"),
    path("invite/", people.invite, name="invite"),
    path("<uuid:user_uuid>/", people.person, name="person"),
    path("<uuid:user_uuid>/role/", people.person_role, name="person_role"),
    path(
        "<uuid:user_uuid>/password-link/", people.person_password_link, name="person_password_link"
    ),
    path("<uuid:user_uuid>/reactivate/", people.person_reactivate, name="person_reactivate"),
    path(
        "<uuid:user_uuid>/tokens/<uuid:token_uuid>/revoke/",
        people.person_token_revoke,
        name="person_token_revoke",
    ),
    path("<uuid:user_uuid>/offboard/", people.offboard, name="offboard"),
]
