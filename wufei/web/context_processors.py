def navigation(request):
    """The menu of the page header, built in ``wufei.web.menu`` from the actor's rights."""
    from wufei.web.menu import menu_for

    return {"menu": menu_for(getattr(request, "user", None), getattr(request, "path", ""))}
