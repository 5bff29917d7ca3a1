import factory

from accounts.models import User


# Generic in the model, so `UserFactory.create()` is typed as a User (plain `UserFactory()`
# still reads as a factory to a type checker: factory_boy's metaclass call is unannotated).
class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"listener{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    favorite_genres = factory.LazyFunction(list)
