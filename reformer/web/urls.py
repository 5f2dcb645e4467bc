from django.urls import path

from reformer.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
