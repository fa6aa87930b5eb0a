import factory

from wufei.accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = "city"
    password = factory.PostGenerationMethodCall("set_password", "Wufei-test-2020")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # factory_boy passes the object as ``obj``
        if create:
            obj.save()
