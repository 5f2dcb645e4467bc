from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "reformer.onboarding"
    label = "onboarding"
