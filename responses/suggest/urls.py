"""The suggestions' actions, under a session's clustering page. Included by
responses/facilitator_urls.py, in its "facilitation" namespace beside the page's own."""

from django.urls import path

from responses.suggest import views

session = "<int:workshop_pk>/sessions/<int:pk>/clustering/suggestions/"

urlpatterns = [
    path(f"{session}switch/", views.suggestions_switch, name="suggestions_switch"),
    path(f"{session}file/", views.suggestion_file, name="suggestion_file"),
    path(f"{session}group/", views.suggestion_group_accept, name="suggestion_group_accept"),
    path(f"{session}dismiss/", views.suggestion_dismiss, name="suggestion_dismiss"),
    path(f"{session}duplicate/", views.suggestion_duplicate_hide, name="suggestion_duplicate_hide"),
]
