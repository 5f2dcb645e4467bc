from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "reformer.accounts"
    label = "accounts"
