from django.urls import path

from riskhub.incidents import views

app_name = "incidents"
urlpatterns = [path("", views.index, name="index")]
