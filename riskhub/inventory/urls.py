from django.urls import path

from riskhub.inventory import views

app_name = "inventory"
urlpatterns = [path("", views.list, name="list")]
