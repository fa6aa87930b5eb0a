from django.shortcuts import render


def home(request):
    return render(request, "web/home.html")


def map_page(request):
    return render(request, "web/map.html")
