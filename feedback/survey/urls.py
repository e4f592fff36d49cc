"""Pages of the feedback app's survey part (included by feedback/urls.py)."""

from django.urls import path

from feedback.survey import views, views_results

urlpatterns: list = [
    path("survey/", views.survey, name="survey"),
    path("survey/answer/<int:question_id>/", views.survey_answer, name="survey_answer"),
    path("survey/thanks/", views.survey_thanks, name="survey_thanks"),
    path("survey/dismiss/", views.survey_dismiss, name="survey_dismiss"),
    path("survey/results/", views_results.results_page, name="survey_results"),
    path("survey/results/export.csv", views_results.export, name="survey_export"),
]
