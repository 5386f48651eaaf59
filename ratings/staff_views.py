"""Staff and judging pages of a rating round: the lifecycle, declarations, score sheets, progress.

Views stay thin: who sees what is ratings.permissions, every write is a ratings.domain call,
and a refusal comes back as Refused with the sentence to show.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chunan_community.errors import Refused
from chunan_community.forms import posted
from chunan_community.spreadsheets import xlsx_response
from ratings import domain, exports
from ratings.evidence_forms import EvidenceForm
from ratings.forms import (
    AdvanceForm,
    AssignJudgeForm,
    ConfirmForm,
    ConflictForm,
    DeclarationForm,
    NoticeOpenForm,
    RevokeForm,
    ScoreSheetForm,
    points_field_name,
)
from ratings.models import (
    ROUND_FLOW,
    ConflictOfInterest,
    Criterion,
    Declaration,
    JudgeAssignment,
    Objection,
    Rating,
    RoundEvent,
    RoundStatus,
    Score,
    ScoreSheet,
)
from ratings.permissions import (
    declarations_in_reach,
    declares_own_community,
    get_assignment_for_judge,
    get_declaration_for_judge,
    get_declaring_community,
    get_own_community,
    get_rating_for_revoking,
    get_round_for_confirming,
    get_round_for_county,
    get_round_for_declaring,
    get_round_for_progress,
    get_round_for_staff,
    get_rounds_for_staff,
    is_county_staff,
    ranking_access,
    results_in_reach,
    sits_on_panels,
)
from ratings.queries import results_in_categories, round_results


def _manage_url(round_) -> str:
    return reverse("ratings:staff_round_detail", kwargs={"code": round_.code})


def _stages(round_):
    """Each stage of the flow with whether it is past, current or to come."""
    current = ROUND_FLOW.index(RoundStatus(round_.status))
    return [
        {
            "status": s,
            "label": s.label,
            "state": "past" if i < current else "current" if i == current else "next",
        }
        for i, s in enumerate(ROUND_FLOW)
    ]


# ---------- Rounds ----------


@login_required
@require_safe
def staff_round_list(request):
    """County: every round, with its next stage. Others: the rounds that concern them."""
    rounds = list(
        domain.with_panel_places(get_rounds_for_staff(request.user), request.user).order_by(
            "-year", "-code"
        )
    )
    today = timezone.localdate()
    for round_ in rounds:
        round_.actions = domain.round_actions(round_, request.user, today)
    # The page's own columns and links: the county's, a clerk's, a judge's.
    return render(
        request,
        "ratings/staff_round_list.html",
        {
            "rounds": rounds,
            "is_county": is_county_staff(request.user),
            "declares": declares_own_community(request.user),
            "judges": sits_on_panels(request.user),
        },
    )


def _move_page(request, round_, check, form, action_url, status=200):
    """The confirmation of a move: what the dates say (`check`, a domain.MoveCheck), and the
    form to say yes (again)."""
    return render(
        request,
        "ratings/staff_round_advance.html",
        {"round": round_, "to": check.to, "form": form, "check": check, "action_url": action_url},
        status=status,
    )


@login_required
@require_POST
def staff_round_advance(request, code):
    """Move a round on: the first POST shows a confirmation with what the round's dates say;
    the confirmed one moves it (with a second yes when the move goes against the dates)."""
    round_ = get_round_for_county(request.user, code)
    to = request.POST.get("to", "")
    if to not in RoundStatus.values:
        raise Http404
    check = domain.move_check(round_, to)
    form_class = NoticeOpenForm if to == RoundStatus.NOTICE else AdvanceForm
    form = form_class(
        request.POST if request.POST.get("confirm") else None,
        warnings=check.warnings,
        initial={"contact_phone": round_.contact_phone, "contact_address": round_.contact_address},
    )
    url = reverse("ratings:staff_round_advance", kwargs={"code": round_.code})
    if not form.is_bound:
        return _move_page(request, round_, check, form, url)
    if not form.is_valid():
        return _move_page(request, round_, check, form, url, status=400)
    data = form.cleaned_data
    try:
        if to == RoundStatus.NOTICE:
            domain.round_open_notice(
                round=round_,
                by=request.user,
                contact_phone=data["contact_phone"],
                contact_address=data["contact_address"],
                note=data["note"],
                despite_dates=data.get("despite_dates", False),
            )
        else:
            domain.round_advance(
                round=round_,
                to=to,
                by=request.user,
                note=data["note"],
                despite_dates=data.get("despite_dates", False),
            )
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("%(round)s moved on to “%(stage)s”.")
            % {"round": round_.name, "stage": RoundStatus(to).label},
        )
    return redirect("ratings:staff_round_list")


def _detail_context(request, round_, *, judge_form=None, conflict_form=None):
    actions = domain.round_actions(round_, request.user)
    declarations = (
        declarations_in_reach(request.user, round_)
        .select_related("community", "community__township", "submitted_by")
        .order_by("community__township__code", "community__code")
    )
    context = {
        "round": round_,
        "stages": _stages(round_),
        "events": RoundEvent.objects.filter(round=round_).select_related("by"),
        "declarations": declarations,
        "actions": actions,
        "declare_url": reverse("ratings:declaration_own", kwargs={"code": round_.code})
        if declares_own_community(request.user)
        else None,
    }
    if actions.manage:
        judges = JudgeAssignment.objects.filter(round=round_).select_related("judge")
        panel_open = actions.change_panel
        if conflict_form is None and panel_open:
            # Built only where shown: its community picker reads the communities.
            conflict_form = ConflictForm(judges=_judge_users(round_))
        context.update(
            judges=judges,
            conflicts=ConflictOfInterest.objects.filter(round=round_).select_related(
                "judge", "community"
            ),
            panel_open=panel_open,
            judge_form=judge_form or AssignJudgeForm(),
            conflict_form=conflict_form,
        )
    return context


def _judge_users(round_):
    return get_user_model().objects.filter(judge_assignments__round=round_).order_by("username")


@login_required
@require_safe
def staff_round_detail(request, code):
    """A round's stages, dates and events, its declarations in scope; the panel for the county."""
    round_ = get_round_for_staff(request.user, code)
    return render(request, "ratings/staff_round_detail.html", _detail_context(request, round_))


@login_required
@require_POST
def staff_judge_assign(request, code):
    round_ = get_round_for_county(request.user, code)
    form = AssignJudgeForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "ratings/staff_round_detail.html",
            _detail_context(request, round_, judge_form=form),
            status=400,
        )
    try:
        domain.judge_assign(
            round=round_, judge=form.judge, is_chair=form.cleaned_data["is_chair"], by=request.user
        )
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, _("%(user)s is on the panel.") % {"user": form.judge.get_username()}
        )
    return redirect(_manage_url(round_))


@login_required
@require_POST
def staff_conflict_declare(request, code):
    round_ = get_round_for_county(request.user, code)
    form = ConflictForm(request.POST, judges=_judge_users(round_))
    if not form.is_valid():
        return render(
            request,
            "ratings/staff_round_detail.html",
            _detail_context(request, round_, conflict_form=form),
            status=400,
        )
    try:
        domain.conflict_declare(
            round=round_,
            judge=form.cleaned_data["judge"],
            community=form.cleaned_data["community"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("The conflict of interest is recorded."))
    return redirect(_manage_url(round_))


# ---------- Declarations ----------


@login_required
@require_safe
def declaration_own(request, code):
    """The clerk's own community's declaration page."""
    community = get_own_community(request.user)
    return redirect("ratings:declaration_edit", code=code, community=community.code)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def declaration_edit(request, code, community):
    """A community's declaration for the round: target tier, stars, self-assessment; save a
    draft, submit, or withdraw. Read-only (with the reason) outside the declaration window."""
    community = get_declaring_community(request.user, community)
    round_ = get_round_for_declaring(request.user, code)
    declaration = Declaration.objects.filter(round=round_, community=community).first()
    url = reverse("ratings:declaration_edit", kwargs={"code": code, "community": community.code})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        form = DeclarationForm(request.POST)
        try:
            if action == "withdraw":
                if declaration is None:
                    raise Http404
                domain.declaration_withdraw(declaration=declaration, by=request.user)
                messages.success(request, _("The declaration is withdrawn."))
                return redirect(url)
            if form.is_valid():
                domain.declaration_save(
                    round=round_,
                    community=community,
                    by=request.user,
                    submit=action == "submit",
                    **form.cleaned_data,
                )
                messages.success(
                    request,
                    _("The declaration is submitted.")
                    if action == "submit"
                    else _("The declaration is saved as a draft."),
                )
                return redirect(url)
            status = 400
        except Refused as refused:
            messages.error(request, refused.message)
            status = 403
    else:
        form = None
    return declaration_page(request, round_, community, declaration, form=form, status=status)


def declaration_page(
    request, round_, community, declaration, *, form=None, evidence_form=None, status=200
):
    """The declaration page: the form while it may be changed, else what was declared; the
    evidence files, with the upload form (`evidence_form`, bound when an upload was refused).
    Rendered by declaration_edit and, for a refused upload, by evidence_views.evidence_add."""
    if form is None:
        form = DeclarationForm(
            initial={
                "target_tier": declaration.target_tier,
                "target_stars": declaration.target_stars,
                "self_assessment": declaration.self_assessment,
            }
            if declaration is not None
            else None
        )
    refusal = domain.declaration_refusal(request.user, round_, community)
    editable = refusal is None and (
        declaration is None or declaration.status != Declaration.Status.SUBMITTED
    )
    # Said as soon as the declaration is saved, not first on the notice as "not reached".
    shortfall = None
    if declaration is not None and declaration.status != Declaration.Status.WITHDRAWN:
        shortfall = domain.declaration_shortfall(
            round=round_, community=community, target_tier=declaration.target_tier
        )
    return render(
        request,
        "ratings/declaration_form.html",
        {
            "round": round_,
            "community": community,
            "declaration": declaration,
            "form": form,
            "evidence_form": evidence_form or EvidenceForm(auto_id="id_evidence_%s"),
            "refusal": refusal,
            "shortfall": shortfall,
            "editable": editable,
            "can_withdraw": refusal is None
            and declaration is not None
            and declaration.status != Declaration.Status.WITHDRAWN,
        },
        status=status,
    )


# ---------- Judging ----------


@login_required
@require_safe
def judging_list(request, code):
    """The judge's declarations to score, with their own sheet's state; conflicts marked."""
    assignment = get_assignment_for_judge(request.user, code)
    round_ = assignment.round
    declarations = list(
        Declaration.objects.filter(round=round_, status=Declaration.Status.SUBMITTED)
        .select_related("community", "community__township")
        .order_by("target_tier", "community__code")
    )
    conflicts = {
        c.community_id: c
        for c in ConflictOfInterest.objects.filter(round=round_, judge=request.user)
    }
    sheets = {
        s.declaration_id: s
        for s in ScoreSheet.objects.filter(judge=request.user, declaration__round=round_)
    }
    rows = [
        {
            "declaration": d,
            "conflict": conflicts.get(d.community_id),
            "sheet": sheets.get(d.pk),
            "url": reverse(
                "ratings:judging_sheet", kwargs={"code": code, "community": d.community.code}
            ),
        }
        for d in declarations
    ]
    return render(
        request,
        "ratings/judging_list.html",
        {"round": round_, "assignment": assignment, "rows": rows},
    )


def _sheet_context(request, assignment, declaration, form):
    round_ = assignment.round
    actions = domain.round_actions(round_, request.user)
    all_sheets = None
    if actions.see_all_sheets:
        # Only after the chair closes scoring, and only for the chair: everyone's scores.
        all_sheets = list(
            ScoreSheet.objects.filter(declaration=declaration)
            .select_related("judge")
            .prefetch_related("scores")
        )
        for sheet in all_sheets:
            by_criterion = {s.criterion_id: s.points for s in sheet.scores.all()}
            sheet.points_row = [by_criterion.get(c.pk) for c in form.criteria]
    conflict = ConflictOfInterest.objects.filter(
        round=round_, judge=request.user, community=declaration.community
    ).first()
    return {
        "round": round_,
        "assignment": assignment,
        "declaration": declaration,
        "community": declaration.community,
        "form": form,
        "rows": form.rows(),
        "conflict": conflict,
        "editable": conflict is None and actions.score,
        "all_sheets": all_sheets,
        "evidence": _evidence(declaration),
    }


def _evidence(declaration):
    """The objective criteria of the declaration's tier, computed from portal data."""
    from ratings import evidence
    from ratings.models import Criterion

    criteria = list(
        Criterion.objects.filter(round=declaration.round, tier=declaration.target_tier)
        .exclude(source=Criterion.Source.JUDGED)
        .order_by("sort_order", "code")
    )
    if not criteria:
        return []
    findings = evidence.evidence_for(
        [declaration.community_id],
        on=evidence.review_day(declaration.round),
        returns_year=evidence.returns_year(declaration.round),
    ).get(declaration.community_id, {})
    return [{"criterion": c, "finding": findings.get(c.source)} for c in criteria]


def _own_sheet_data(request, declaration, criteria):
    sheet = ScoreSheet.objects.filter(judge=request.user, declaration=declaration).first()
    if sheet is None:
        return None, None
    data = {"abstain": "on" if sheet.abstained else ""}
    points = {s.criterion_id: s.points for s in Score.objects.filter(sheet=sheet)}
    for criterion in criteria:
        value = points.get(criterion.pk)
        data[points_field_name(criterion)] = "" if value is None else format(value.normalize(), "f")
    return sheet, data


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def judging_sheet(request, code, community):
    """The judge's own score sheet for one community; prints as a paper form."""
    assignment = get_assignment_for_judge(request.user, code)
    declaration = get_declaration_for_judge(assignment.round, community)
    criteria = list(
        domain.judged_criteria(assignment.round, declaration.target_tier).order_by(
            "sort_order", "code"
        )
    )
    url = request.path
    status = 200
    if request.method == "POST":
        form = ScoreSheetForm(request.POST, criteria=criteria)
        if form.is_valid():
            try:
                domain.sheet_save(
                    declaration=declaration,
                    judge=request.user,
                    points=form.points(),
                    abstain=form.cleaned_data["abstain"],
                    by=request.user,
                )
            except Refused as refused:
                messages.error(request, refused.message)
                status = 403
            else:
                messages.success(
                    request,
                    _("Your abstention is recorded.")
                    if form.cleaned_data["abstain"]
                    else _("Your scores are saved."),
                )
                return redirect(url)
        else:
            status = 400
    else:
        _sheet, data = _own_sheet_data(request, declaration, criteria)
        form = (
            ScoreSheetForm(data, criteria=criteria) if data else ScoreSheetForm(criteria=criteria)
        )
        if data:
            form.is_valid()
    context = _sheet_context(request, assignment, declaration, form)
    return render(request, "ratings/judging_sheet.html", context, status=status)


@login_required
@require_safe
def judging_progress(request, code):
    """Judges by declarations: scored, abstained, conflicted or missing. Chair and county."""
    round_, _assignment = get_round_for_progress(request.user, code)
    judges = list(JudgeAssignment.objects.filter(round=round_).select_related("judge"))
    declarations = list(
        Declaration.objects.filter(round=round_, status=Declaration.Status.SUBMITTED)
        .select_related("community")
        .order_by("target_tier", "community__code")
    )
    sheets = {
        (s.judge_id, s.declaration_id): s
        for s in ScoreSheet.objects.filter(declaration__round=round_)
    }
    conflicts = {
        (c.judge_id, c.community_id): c for c in ConflictOfInterest.objects.filter(round=round_)
    }
    rows = []
    for declaration in declarations:
        cells = []
        for judge in judges:
            conflict = conflicts.get((judge.judge_id, declaration.community_id))
            sheet = sheets.get((judge.judge_id, declaration.pk))
            if conflict is not None:
                state = "conflicted"
            elif sheet is None:
                state = "missing"
            elif sheet.abstained:
                state = "abstained"
            else:
                state = "scored"
            cells.append({"state": state, "judge": judge})
        rows.append({"declaration": declaration, "cells": cells})
    totals = {
        state: sum(1 for row in rows for cell in row["cells"] if cell["state"] == state)
        for state in ("scored", "abstained", "conflicted", "missing")
    }
    return render(
        request,
        "ratings/judging_progress.html",
        {
            "round": round_,
            "judges": judges,
            "rows": rows,
            "totals": totals,
            "can_close": domain.round_actions(round_, request.user).close_scoring,
        },
    )


@login_required
@require_POST
def judging_close(request, code):
    """The chair (or county staff) closes scoring: the first POST asks, with the sheets still
    missing and the meeting's date; the confirmed one moves the round on to ranking."""
    round_, _assignment = get_round_for_progress(request.user, code)
    check = domain.move_check(round_, RoundStatus.RANKING)
    form = AdvanceForm(
        request.POST if request.POST.get("confirm") else None, warnings=check.warnings
    )
    url = reverse("ratings:judging_close", kwargs={"code": round_.code})
    if not form.is_bound:
        return _move_page(request, round_, check, form, url)
    if not form.is_valid():
        return _move_page(request, round_, check, form, url, status=400)
    try:
        domain.scoring_close(
            round=round_,
            by=request.user,
            note=form.cleaned_data["note"],
            despite_dates=form.cleaned_data.get("despite_dates", False),
        )
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Scoring is closed. The round moves on to ranking."))
    return redirect("ratings:judging_progress", code=code)


# ---------- Ranking, confirmation, revocation, exports ----------


def _breakdown(result, judges):
    """Per criterion: each judge's points (dropped ones marked), mean, weight, weighted."""
    sheets = {sheet.judge_id: sheet for sheet in result.sheets}
    points = {
        sheet.judge_id: {s.criterion_id: s.points for s in sheet.scores.all()}
        for sheet in result.sheets
    }
    rows = []
    for c in result.criteria:
        cells = []
        if c.criterion.source == Criterion.Source.JUDGED:
            for judge in judges:
                sheet = sheets.get(judge.judge_id)
                state = "missing"
                if sheet is not None:
                    state = "abstained" if sheet.abstained else "counted"
                if c.dropped_high and c.dropped_high.judge_id == judge.judge_id:
                    state = "dropped-high"
                elif c.dropped_low and c.dropped_low.judge_id == judge.judge_id:
                    state = "dropped-low"
                cells.append(
                    {"state": state, "points": points.get(judge.judge_id, {}).get(c.criterion.pk)}
                )
        rows.append({"result": c, "cells": cells})
    return rows


@login_required
@require_safe
def staff_ranking(request, code):
    """The ranked results of a round by category, with each declaration's score sheet."""
    round_, full = ranking_access(request.user, code)
    results = results_in_reach(request.user, round_results(round_), full)
    judges = list(JudgeAssignment.objects.filter(round=round_).select_related("judge"))
    for number, judge in enumerate(judges, start=1):
        judge.number = number
    ratings = {}
    if round_.is_confirmed:
        ratings = {r.community_id: r for r in Rating.objects.filter(round=round_).order_by()}
    for result in results:
        result.rows = _breakdown(result, judges)
        result.rating = ratings.get(result.community_id)
    actions = domain.round_actions(round_, request.user)
    return render(
        request,
        "ratings/staff_ranking.html",
        {
            "round": round_,
            "categories": results_in_categories(results),
            "judges": judges,
            "show_names": full,
            "can_export": full,
            "can_revoke": actions.revoke,
            "can_confirm": actions.confirm_page,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_round_confirm(request, code):
    """Confirm a round's results (county): the page shows what will be recorded, and warns
    of opinions still waiting for moderation (confirming then needs an extra tick)."""
    round_ = get_round_for_confirming(request.user, code)
    pending = Objection.objects.filter(round=round_, status=Objection.Status.PENDING).count()
    form = ConfirmForm(posted(request), pending=pending)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                domain.round_confirm(round=round_, by=request.user, note=form.cleaned_data["note"])
            except Refused as refused:
                messages.error(request, refused.message)
                status = 403
            else:
                messages.success(
                    request,
                    _("%(round)s is confirmed: the ratings are recorded.") % {"round": round_},
                )
                return redirect("ratings:staff_ranking", code=code)
    results = round_results(round_)
    return render(
        request,
        "ratings/staff_rating_confirm.html",
        {
            "round": round_,
            "form": form,
            "pending": pending,
            "reached": [r for r in results if r.reached],
            "kept": [r for r in results if not r.reached],
            "check": domain.move_check(round_, RoundStatus.FINAL),
            # The button is enabled only when confirming is allowed today.
            "refusal": domain.round_actions(round_, request.user).confirm_refusal,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_rating_revoke(request, code, community):
    """Revoke a community's rating from this round (county), with the reason."""
    rating = get_rating_for_revoking(request.user, code, community)
    form = RevokeForm(posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                domain.rating_revoke(
                    rating=rating, by=request.user, reason=form.cleaned_data["reason"]
                )
            except Refused as refused:
                messages.error(request, refused.message)
                status = 403
            else:
                messages.success(
                    request,
                    _("The rating of %(community)s is revoked.")
                    % {"community": rating.community.local_name},
                )
                return redirect("ratings:staff_ranking", code=code)
    return render(
        request,
        "ratings/staff_rating_revoke.html",
        {"rating": rating, "round": rating.round, "form": form},
        status=status,
    )


@login_required
@require_safe
def staff_export_scores(request, code):
    """Every judge's points per declaration and criterion, and the aggregate (.xlsx)."""
    round_, full = ranking_access(request.user, code)
    if not full:
        raise Http404
    return xlsx_response(
        f"scores-{round_.code}.xlsx", exports.scores_workbook(round_results(round_))
    )


@login_required
@require_safe
def staff_export_results(request, code):
    """The ranked results by category (.xlsx)."""
    round_, full = ranking_access(request.user, code)
    if not full:
        raise Http404
    return xlsx_response(
        f"results-{round_.code}.xlsx", exports.results_workbook(round_results(round_))
    )
