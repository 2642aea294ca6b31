from django.shortcuts import get_object_or_404, render

from portal.ideas.models import Idea


def idea_detail(request, public_id):
    idea = get_object_or_404(Idea.objects.public(), public_id=public_id)
    return render(request, "ideas/idea_detail.html", {"idea": idea})
