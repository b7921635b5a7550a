from django.urls import path

from riskhub.risk import views

app_name = "risk"
urlpatterns = [path("", views.index, name="index")]
