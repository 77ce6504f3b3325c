"""The Caliper 1.2 vocabulary that generic Caliper items draw their terms from.

The OpenAPI document leaves an event's ``type`` and ``action`` and an entity's
``type`` as free strings; real senders use the terms of the IMS Caliper
Analytics 1.2 information model, so the strategies do too.  The pairs below are
the specification's metric profiles (each event type with the actions its
profile supports); the entity types are the information model's entities.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple


class EventTerm(NamedTuple):
    """One event type of one Caliper profile, with the actions the profile allows for it."""

    profile: str
    type: str
    actions: tuple[str, ...]


#: Caliper 1.2 event types by profile.  The first is the simplest (where
#: examples shrink to); TimebackProfile is not here: its events have their own
#: strategies.
EVENTS: tuple[EventTerm, ...] = (
    EventTerm("ReadingProfile", "NavigationEvent", ("NavigatedTo",)),
    EventTerm("ReadingProfile", "ViewEvent", ("Viewed",)),
    EventTerm("GeneralProfile", "Event", ("Created", "Modified", "Deleted", "Viewed", "Searched")),
    EventTerm("AnnotationProfile", "AnnotationEvent", ("Bookmarked", "Highlighted", "Shared", "Tagged")),
    EventTerm("AssessmentProfile", "AssessmentEvent", ("Started", "Paused", "Resumed", "Restarted", "Submitted")),
    EventTerm("AssessmentProfile", "AssessmentItemEvent", ("Started", "Skipped", "Completed")),
    EventTerm("AssessmentProfile", "NavigationEvent", ("NavigatedTo",)),
    EventTerm("AssessmentProfile", "ViewEvent", ("Viewed",)),
    EventTerm(
        "AssignableProfile",
        "AssignableEvent",
        ("Activated", "Deactivated", "Started", "Completed", "Submitted", "Reviewed"),
    ),
    EventTerm("AssignableProfile", "NavigationEvent", ("NavigatedTo",)),
    EventTerm("AssignableProfile", "ViewEvent", ("Viewed",)),
    EventTerm("FeedbackProfile", "FeedbackEvent", ("Commented", "Ranked")),
    EventTerm("ForumProfile", "ForumEvent", ("Subscribed", "Unsubscribed")),
    EventTerm("ForumProfile", "ThreadEvent", ("MarkedAsRead", "MarkedAsUnRead")),
    EventTerm("ForumProfile", "MessageEvent", ("Posted", "MarkedAsRead", "MarkedAsUnRead")),
    EventTerm("ForumProfile", "NavigationEvent", ("NavigatedTo",)),
    EventTerm("ForumProfile", "ViewEvent", ("Viewed",)),
    EventTerm("GradingProfile", "GradeEvent", ("Graded",)),
    EventTerm("GradingProfile", "ViewEvent", ("Viewed",)),
    EventTerm(
        "MediaProfile",
        "MediaEvent",
        (
            "Started",
            "Ended",
            "Paused",
            "Resumed",
            "Restarted",
            "ForwardedTo",
            "JumpedTo",
            "ChangedResolution",
            "ChangedSize",
            "ChangedSpeed",
            "ChangedVolume",
            "EnabledClosedCaptioning",
            "DisabledClosedCaptioning",
            "EnteredFullScreen",
            "ExitedFullScreen",
            "Muted",
            "Unmuted",
            "OpenedPopout",
            "ClosedPopout",
        ),
    ),
    EventTerm("MediaProfile", "NavigationEvent", ("NavigatedTo",)),
    EventTerm("MediaProfile", "ViewEvent", ("Viewed",)),
    EventTerm(
        "ResourceManagementProfile",
        "ResourceManagementEvent",
        (
            "Created",
            "Copied",
            "Modified",
            "Deleted",
            "Described",
            "Downloaded",
            "Uploaded",
            "Retrieved",
            "Printed",
            "Published",
            "Unpublished",
            "Archived",
            "Restored",
            "Saved",
        ),
    ),
    EventTerm("SearchProfile", "SearchEvent", ("Searched",)),
    EventTerm("SessionProfile", "SessionEvent", ("LoggedIn", "LoggedOut", "TimedOut")),
    EventTerm("SurveyProfile", "SurveyInvitationEvent", ("Sent", "Accepted", "Declined")),
    EventTerm("SurveyProfile", "SurveyEvent", ("OptedIn", "OptedOut")),
    EventTerm("SurveyProfile", "QuestionnaireEvent", ("Started", "Submitted")),
    EventTerm("SurveyProfile", "QuestionnaireItemEvent", ("Started", "Skipped", "Completed")),
    EventTerm("SurveyProfile", "NavigationEvent", ("NavigatedTo",)),
    EventTerm("SurveyProfile", "ViewEvent", ("Viewed",)),
    EventTerm("ToolLaunchProfile", "ToolLaunchEvent", ("Launched", "Returned")),
    EventTerm("ToolUseProfile", "ToolUseEvent", ("Used",)),
)

#: Caliper 1.2 entity types; the first is where examples shrink to.
ENTITY_TYPES: tuple[str, ...] = (
    "DigitalResource",
    "Person",
    "SoftwareApplication",
    "Organization",
    "CourseOffering",
    "CourseSection",
    "Group",
    "Membership",
    "Session",
    "LtiSession",
    "Agent",
    "Entity",
    "DigitalResourceCollection",
    "AssignableDigitalResource",
    "Assessment",
    "AssessmentItem",
    "Chapter",
    "Document",
    "Page",
    "WebPage",
    "Frame",
    "Link",
    "LtiLink",
    "MediaObject",
    "AudioObject",
    "ImageObject",
    "VideoObject",
    "MediaLocation",
    "Attempt",
    "Result",
    "Score",
    "Response",
    "FillinBlankResponse",
    "MultipleChoiceResponse",
    "MultipleResponseResponse",
    "SelectTextResponse",
    "TrueFalseResponse",
    "OpenEndedResponse",
    "DateTimeResponse",
    "MultiselectResponse",
    "RatingScaleResponse",
    "Question",
    "DateTimeQuestion",
    "MultiselectQuestion",
    "OpenEndedQuestion",
    "RatingScaleQuestion",
    "Annotation",
    "BookmarkAnnotation",
    "HighlightAnnotation",
    "SharedAnnotation",
    "TagAnnotation",
    "Comment",
    "Rating",
    "Scale",
    "LikertScale",
    "MultiselectScale",
    "NumericScale",
    "Forum",
    "Thread",
    "Message",
    "LearningObjective",
    "Collection",
    "Survey",
    "Questionnaire",
    "QuestionnaireItem",
    "SurveyInvitation",
    "Query",
    "SearchResponse",
    "AggregateMeasure",
    "AggregateMeasureCollection",
)

#: The entity types that fit each entity-valued property of a Caliper event.
SLOT_ENTITY_TYPES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "actor": ("Person", "SoftwareApplication", "Organization", "Group", "Agent"),
        "object": (
            "DigitalResource",
            "Assessment",
            "AssessmentItem",
            "AssignableDigitalResource",
            "Chapter",
            "Document",
            "Page",
            "WebPage",
            "MediaObject",
            "VideoObject",
            "Forum",
            "Thread",
            "Message",
            "Questionnaire",
            "SoftwareApplication",
        ),
        "edApp": ("SoftwareApplication",),
        "generated": ("Attempt", "Result", "Score", "Response", "Annotation", "Comment", "Rating", "SearchResponse"),
        "target": ("Frame", "MediaLocation", "Page", "DigitalResource"),
        "referrer": ("WebPage", "DigitalResource", "SoftwareApplication"),
        "group": ("CourseSection", "CourseOffering", "Group", "Organization"),
        "membership": ("Membership",),
        "session": ("Session",),
        "federatedSession": ("LtiSession",),
    }
)

_COLLECTIONS = {
    "Person": "users",
    "SoftwareApplication": "apps",
    "CourseSection": "sections",
    "LtiSession": "lti-sessions",
}


def collection_of(entity_type: str) -> str:
    """The URL path segment where entities of this type live, e.g. ``users``, ``digital-resources``."""
    if entity_type in _COLLECTIONS:
        return _COLLECTIONS[entity_type]
    return re.sub(r"(?<!^)(?=[A-Z])", "-", entity_type).lower() + "s"
