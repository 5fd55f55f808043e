"""The facilitator's pages for planning and running workshops and sessions, and their notes.

The pages for what participants contribute (the live board, cards, clustering, participants,
agency projects) sit under the same ``workshops/`` paths but are responses' own, in
responses/facilitator_urls.py.
"""

from django.urls import path

from sessions import views

app_name = "workshop_sessions"

session = "<int:workshop_pk>/sessions/<int:pk>/"

urlpatterns = [
    path("new/", views.workshop_create, name="workshop_create"),
    path("<int:pk>/", views.workshop_detail, name="workshop_detail"),
    path("<int:pk>/edit/", views.workshop_edit, name="workshop_edit"),
    path("<int:pk>/history/", views.workshop_history, name="workshop_history"),
    path("<int:workshop_pk>/sessions/new/", views.session_create, name="session_create"),
    path(f"{session}edit/", views.session_edit, name="session_edit"),
    path(f"{session}move/", views.session_move, name="session_move"),
    path(f"{session}phase/", views.session_phase, name="session_phase"),
    path(f"{session}reveal/", views.session_reveal, name="session_reveal"),
    path(f"{session}join-screen/", views.session_join_screen, name="session_join_screen"),
    path(f"{session}notes/", views.session_notes, name="session_notes"),
    path(f"{session}notes/history/", views.session_note_history, name="session_note_history"),
]
