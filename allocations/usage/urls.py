"""Usage dashboards for teams and staff."""

app_name = "usage"
urlpatterns: list = []
