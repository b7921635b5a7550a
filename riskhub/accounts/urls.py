from django.urls import path

from riskhub.accounts import oidc, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.password_change, name="password_change"),
    path("password/forgot/", views.password_forgot, name="password_forgot"),
    path("password/forgot/sent/", views.password_forgot_sent, name="password_forgot_sent"),
    path("password/set/<uuid:user_uuid>/<str:token>/", views.password_set, name="password_set"),
    path("tokens/", views.token_create, name="token_create"),
    path("tokens/<uuid:token_uuid>/revoke/", views.token_revoke, name="token_revoke"),
    path("sso/start/", oidc.sso_start, name="oidc_authentication_init"),
    path("sso/callback/", oidc.sso_callback, name="oidc_authentication_callback"),
    path("2fa/setup/", views.otp_setup, name="otp_setup"),
    path("2fa/disable/", views.otp_disable, name="otp_disable"),
    path("2fa/verify/", views.otp_verify, name="otp_verify"),
]
