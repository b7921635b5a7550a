from django.urls import path

from riskhub.compliance import views

app_name = "compliance"
urlpatterns = [path("", views.index, name="index")]
