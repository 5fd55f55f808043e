"""The facilitator's pages for what participants contribute: the live board, paper cards,
clustering and moderation, participants' personal data and the agency projects' review.

Included from ctg_workshops/urls.py under ``workshops/``, beside sessions' own URLs, so each
page keeps its place under its workshop and session.
"""

from django.urls import path

from responses import board_views as board
from responses import card_views as cards
from responses import facilitator_views as statements
from responses import privacy_views as privacy
from responses import project_views as projects
from responses.suggest import urls as suggestions

app_name = "facilitation"

session = "<int:workshop_pk>/sessions/<int:pk>/"

urlpatterns = [
    path(f"{session}board/", board.session_board, name="session_board"),
    path(f"{session}board/feed/", board.session_board_feed, name="session_board_feed"),
    path(f"{session}cards/", cards.session_cards, name="session_cards"),
    path(f"{session}cards/<int:statement_pk>/correct/", cards.card_correct, name="card_correct"),
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
    *suggestions.urlpatterns,
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
