from core.routes import route
from search import views

urlpatterns = [
    *route("search", views.SearchView.as_view(), "search"),
    # Friendships are social's, but social sits below rooms (presence): the view lives here.
    *route("friendships/listening-now", views.FriendsListeningView.as_view(), "friendships-listening-now"),
]
