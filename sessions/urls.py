from django.urls import path

from responses import facilitator_views as statements
from responses import privacy_views as privacy
from responses import project_views as projects
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
    path(f"{session}board/", views.session_board, name="session_board"),
    path(f"{session}board/feed/", views.session_board_feed, name="session_board_feed"),
    path(f"{session}notes/", views.session_notes, name="session_notes"),
    path(f"{session}notes/history/", views.session_note_history, name="session_note_history"),
    path(f"{session}cards/", statements.session_cards, name="session_cards"),
    path(f"{session}clustering/", statements.session_clustering, name="session_clustering"),
    path(f"{session}clustering/new/", statements.category_create, name="category_create"),
    path(f"{session}clustering/edit/", statements.category_update, name="category_update"),
    path(
        f"{session}clustering/renumber/", statements.categories_renumber, name="categories_renumber"
    ),
    path(f"{session}clustering/move/", statements.statements_move, name="statements_move"),
    path(f"{session}clustering/merge/", statements.category_merge, name="category_merge"),
    path(f"{session}clustering/split/", statements.category_split, name="category_split"),
    path(f"{session}clustering/delete/", statements.category_delete, name="category_delete"),
    path(f"{session}clustering/present/", statements.categories_present, name="categories_present"),
    path(f"{session}clustering/hide/", statements.statement_hide, name="statement_hide"),
    path(f"{session}clustering/restore/", statements.statement_restore, name="statement_restore"),
    path(f"{session}clustering/paper-dots/", statements.paper_dots_save, name="paper_dots_save"),
    path("<int:workshop_pk>/participants/", privacy.participant_list, name="participant_list"),
    path(
        "<int:workshop_pk>/participants/<int:pk>/data/",
        privacy.participant_data_download,
        name="participant_data",
    ),
    path(
        "<int:workshop_pk>/participants/<int:pk>/erase/",
        privacy.participant_erase_confirm,
        name="participant_erase",
    ),
    path("<int:pk>/projects/", projects.project_review_page, name="project_review"),
    path(
        "<int:pk>/projects/approved.<str:fmt>",
        projects.projects_download,
        name="projects_download",
    ),
]
