"""Every protocol field and the test that proves the engine does what it says (issue 11).

A field path is written the way `protocols.base.format_loc` writes a place in the file, with
`[]` for "each item" of a list or mapping: `escalation[].after`, `channels[].danger_key`.
`standard` and `why` are citations for the manual at any depth: WHY covers them.
"""

from __future__ import annotations

E = "tests/router/test_engine.py::"
R = "tests/router/test_protocol_rules.py::"
WR = "tests/router/test_waiting_rules.py::"
FH = "tests/router/test_flags_and_hours.py::"
TR = "tests/protocols/test_triage.py::"
CL = "tests/protocols/test_closing.py::"
CK = "tests/protocols/test_check.py::"
MN = "tests/protocols/test_manual.py::"
MP = "tests/protocols/test_manual_promises.py::"
PT = "tests/channels/test_protocol_texts.py::"
WEB = "tests/channels/test_after_hours_web.py::"
SMS = "tests/channels/test_twilio_sms.py::"
VOICE = "tests/channels/test_twilio_voice.py::"
ST = "tests/router/test_staffing.py::"
FU = "tests/router/test_followups.py::"
SMS2 = "tests/channels/test_twilio_staff_sms.py::"

WHY = MN + "test_markdown_has_every_rule"

RETENTION = "tests/ledger/test_retention.py::test_retention_periods_on_the_virtual_clock"
REGISTRY: dict[str, str] = {
    # identity, time, language
    "name": MN + "test_markdown_has_every_rule",
    "hotline": CL + "test_texts_fall_back_to_the_fallback_language",
    "timezone": TR + "test_time_of_day_rules_use_the_hotline_time_zone",
    "languages": VOICE + "test_language_menu_greets_and_holds_the_caller_in_their_language",
    "fallback_language": CL + "test_texts_fall_back_to_the_fallback_language",
    "language_fallback": WR + "test_nobody_speaks_it_the_fallback_widens_with_the_interpreter",
    "language_fallback.after": WR + "test_nobody_speaks_it_the_fallback_widens_with_the_interpreter",
    "language_fallback.interpreter": PT + "test_offer_text_carries_the_interpreter_line_after_the_fallback",
    "holidays": FH + "test_after_hours_on_every_text_channel",
    "holidays[].date": FH + "test_after_hours_on_every_text_channel",
    "holidays[].name": MP + "test_manual_states_hours_holidays_language_and_what_staff_can_do",
    "holidays[].open_hours": FH + "test_after_hours_on_every_text_channel",
    "holidays[].open_hours[].days": MP + "test_manual_states_hours_holidays_language_and_what_staff_can_do",
    "holidays[].open_hours[].start": FH + "test_after_hours_on_every_text_channel",
    "holidays[].open_hours[].end": FH + "test_after_hours_on_every_text_channel",
    # timing and escalation
    "response_target": E + "test_ladder_widens_to_backup_and_breaches_at_target",
    "offer_timeout": E + "test_offer_timeout_moves_on",
    "default_priority": TR + "test_ordinary_contacts_stay_normal",
    "breach_notify": VOICE + "test_nobody_answers_backup_and_supervisor_paged_by_voice_at_target",
    "breach_via": VOICE + "test_nobody_answers_backup_and_supervisor_paged_by_voice_at_target",
    "escalation": E + "test_ladder_widens_to_backup_and_breaches_at_target",
    "escalation[].after": E + "test_ladder_widens_to_backup_and_breaches_at_target",
    "escalation[].notify": E + "test_ladder_widens_to_backup_and_breaches_at_target",
    "escalation[].via": VOICE + "test_nobody_answers_backup_and_supervisor_paged_by_voice_at_target",
    "escalation[].partner": R + "test_rural_ladder_overflows_to_the_partner",
    "after_hours_escalation": FH + "test_after_hours_contacts_climb_the_after_hours_ladder",
    "after_hours_escalation[].after": FH + "test_after_hours_contacts_climb_the_after_hours_ladder",
    "after_hours_escalation[].notify": FH + "test_after_hours_contacts_climb_the_after_hours_ladder",
    "after_hours_escalation[].via": MP + "test_manual_states_hours_holidays_language_and_what_staff_can_do",
    # the step's partner rides in its timer whichever ladder it came from
    "after_hours_escalation[].partner": R + "test_rural_ladder_overflows_to_the_partner",
    "overflow_partner": VOICE + "test_unanswered_call_is_warm_transferred_to_the_partner",
    # imminent danger
    "imminent_danger": R + "test_imminent_danger_goes_to_everyone_at_once",
    "imminent_danger.flags": TR + "test_danger_words_make_a_critical_contact_that_skips_the_ladder",
    "imminent_danger.skip_ladder": R + "test_imminent_danger_goes_to_everyone_at_once",
    "imminent_danger.offer_to": R + "test_imminent_danger_goes_to_everyone_at_once",
    "imminent_danger.page": R + "test_imminent_danger_goes_to_everyone_at_once",
    "imminent_danger.via": PT + "test_caller_presses_the_danger_key_everyone_is_called_supervisor_paged",
    # flags and triage
    "flags": TR + "test_flag_rules_chain_and_flags_carry_a_least_priority",
    "flags[].label": PT + "test_handoff_flags_travel_with_the_warm_transfer",
    "flags[].means": MN + "test_rules_read_in_plain_words",
    "flags[].priority": FH + "test_raising_priority_moves_a_waiting_contact_and_keeps_its_deadline",
    "flags[].handoff": PT + "test_handoff_flags_travel_with_the_warm_transfer",
    "triage": TR + "test_flags_from_every_matching_rule_add_up",
    "triage[].name": TR + "test_flags_from_every_matching_rule_add_up",
    "triage[].language": TR + "test_language_of_a_rule_matches_regional_variants",
    "triage[].any_language": TR + "test_danger_words_fire_whatever_language_the_contact_declares",
    "triage[].keywords": TR + "test_danger_words_make_a_critical_contact_that_skips_the_ladder",
    "triage[].patterns": TR + "test_minors_are_flagged_and_need_a_mandated_report",
    "triage[].patterns_mean": MN
    + "test_patterns_are_described_in_plain_words_when_the_file_says_what_they_mean",
    "triage[].channels": TR + "test_time_of_day_rule_needs_the_time_and_the_channel",
    "triage[].hours": TR + "test_time_of_day_rules_use_the_hotline_time_zone",
    "triage[].hours[].days": TR + "test_time_of_day_rules_use_the_hotline_time_zone",
    "triage[].hours[].start": TR + "test_time_of_day_rules_use_the_hotline_time_zone",
    "triage[].hours[].end": TR + "test_time_of_day_rules_use_the_hotline_time_zone",
    "triage[].repeat": R + "test_third_contact_in_a_day_is_a_repeat",
    "triage[].repeat.contacts": TR + "test_repeat_contacts_within_the_window",
    "triage[].repeat.within": TR + "test_repeat_contacts_within_the_window",
    "triage[].when_flags": TR + "test_flag_rules_chain_and_flags_carry_a_least_priority",
    "triage[].priority": TR + "test_flags_from_every_matching_rule_add_up",
    "triage[].flags": TR + "test_flags_from_every_matching_rule_add_up",
    # channels
    "channels": SMS + "test_text_offer_accept_talk_close",
    "channels[].greeting": VOICE + "test_caller_waits_responder_presses_1_and_is_bridged",
    "channels[].hold": WR + "test_chat_hold_notice_repeats_at_the_interval_until_answered",
    "channels[].hold_interval": WR + "test_chat_hold_notice_repeats_at_the_interval_until_answered",
    "channels[].auto_reply": SMS + "test_text_offer_accept_talk_close",
    "channels[].after_hours": WEB + "test_chat_after_hours_text_before_and_after_writing",
    "channels[].at_capacity": PT + "test_at_capacity_text_once_enough_people_wait_and_nobody_is_free",
    "channels[].at_capacity_waiting": PT + "test_voice_hold_says_the_at_capacity_text_when_all_are_busy",
    "channels[].danger": PT + "test_danger_text_gets_the_danger_reply_not_the_auto_reply",
    "channels[].partner_handoff": PT + "test_handoff_flags_travel_with_the_warm_transfer",
    "channels[].callback": WR + "test_sms_callback_opens_with_the_safety_check",
    "channels[].open_hours": PT + "test_after_hours_sms_in_two_time_zones",
    "channels[].open_hours[].days": FH + "test_after_hours_on_every_text_channel",
    "channels[].open_hours[].start": FH + "test_after_hours_on_every_text_channel",
    "channels[].open_hours[].end": FH + "test_after_hours_on_every_text_channel",
    "channels[].danger_key": PT + "test_caller_presses_the_danger_key_everyone_is_called_supervisor_paged",
    # callbacks
    "callbacks": R + "test_abandoned_call_gets_a_callback_task",
    "callbacks[].when": FH + "test_after_hours_callback_rule_fires_when_the_person_leaves",
    "callbacks[].channels": FH + "test_after_hours_callback_rule_fires_when_the_person_leaves",
    "callbacks[].due_after": R + "test_callback_attempts_follow_the_rule",
    "callbacks[].attempts": R + "test_callback_attempts_follow_the_rule",
    "callbacks[].spacing": R + "test_callback_attempts_follow_the_rule",
    "callbacks[].use": FH + "test_after_hours_callback_rule_fires_when_the_person_leaves",
    "callbacks[].priority": R + "test_abandoned_call_gets_a_callback_task",
    "callbacks[].only_if_safe": WR
    + "test_no_callback_for_a_contact_flagged_handle_with_care_when_only_if_safe",
    # closing
    "dispositions": R + "test_a_protocol_naming_no_dispositions_accepts_any_label",
    "disposition_rules": CL + "test_close_problems_in_plain_words",
    "disposition_rules[].label": MN + "test_rules_read_in_plain_words",
    "disposition_rules[].means": MN + "test_rules_read_in_plain_words",
    "disposition_rules[].requires": CL + "test_close_problems_in_plain_words",
    "mandated_reporting": R + "test_spanish_danger_words_and_a_minor",
    "mandated_reporting.when_flags": FH + "test_a_minor_flagged_during_the_contact_needs_the_mandated_report",
    "mandated_reporting.checklist": CL + "test_mandated_report_checklist_must_be_complete",
    "mandated_reporting.checklist[].key": CL + "test_mandated_report_checklist_must_be_complete",
    "mandated_reporting.checklist[].ask": MN + "test_markdown_has_every_rule",
    "mandated_reporting.checklist[].required": CL + "test_mandated_report_checklist_must_be_complete",
    "mandated_reporting.deadline": "tests/ledger/test_standard30_deadline.py::"
    + "test_changing_the_deadline_changes_the_rating",
    # the agencies are the manual's directory for staff making the report
    "mandated_reporting.agencies": MP + "test_manual_states_hours_holidays_language_and_what_staff_can_do",
    "mandated_reporting.agencies[].name": MP
    + "test_manual_states_hours_holidays_language_and_what_staff_can_do",
    "mandated_reporting.agencies[].for_flags": MP
    + "test_manual_states_hours_holidays_language_and_what_staff_can_do",
    "mandated_reporting.agencies[].phone": MP
    + "test_manual_states_hours_holidays_language_and_what_staff_can_do",
    "mandated_reporting.agencies[].web": MN + "test_markdown_has_every_rule",
    # partners: the directory, overflow and handoffs
    "partners": R + "test_rural_ladder_overflows_to_the_partner",
    "partners[].id": R + "test_rural_ladder_overflows_to_the_partner",
    "partners[].name": R + "test_rural_ladder_overflows_to_the_partner",
    "partners[].services": CL + "test_find_partners_by_service_language_and_hours",
    "partners[].languages": CL + "test_find_partners_by_service_language_and_hours",
    "partners[].hours": CL + "test_find_partners_by_service_language_and_hours",
    "partners[].hours[].days": CL + "test_find_partners_by_service_language_and_hours",
    "partners[].hours[].start": CL + "test_find_partners_by_service_language_and_hours",
    "partners[].hours[].end": CL + "test_find_partners_by_service_language_and_hours",
    "partners[].phone": R + "test_rural_ladder_overflows_to_the_partner",
    "partners[].sms": R + "test_rural_ladder_overflows_to_the_partner",
    "partners[].email": MN + "test_markdown_has_every_rule",
    "partners[].web": MN + "test_markdown_has_every_rule",
    "partners[].transfer_to": VOICE + "test_unanswered_call_is_warm_transferred_to_the_partner",
    "partners[].overflow": MP + "test_overflow_is_stated_only_for_a_partner_the_ladder_uses",
    "partners[].notes": MN + "test_markdown_has_every_rule",
    # referrals: `after` and `handoffs_too` here; attempts, spacing, confirm_with are proto-staff's
    "referral_follow_up": R + "test_rural_ladder_overflows_to_the_partner",
    "referral_follow_up.after": CL + "test_referral_follow_up_times",
    "referral_follow_up.handoffs_too": R + "test_rural_ladder_overflows_to_the_partner",
    "referral_follow_up.attempts": FU + "test_every_follow_up_attempt_is_made_until_they_run_out",
    "referral_follow_up.spacing": FU + "test_every_follow_up_attempt_is_made_until_they_run_out",
    "referral_follow_up.confirm_with": FU + "test_confirmation_stops_the_follow_ups",
    "referral_follow_up.confirm_disposition": FU + "test_confirmation_stops_the_follow_ups",
    "referral_follow_up.unconfirmed_disposition": FU
    + "test_every_follow_up_attempt_is_made_until_they_run_out",
    # retention is applied by the ledger (issue 10)
    "retention": RETENTION,
    "retention.personal_data": RETENTION,
    "retention.contact_records": RETENTION,
    "retention.access_audit": RETENTION,
    "messages": CL + "test_legacy_messages_still_answer_text",
    # looking after the people who answer (Standard 31, proto-staff)
    "wrap_up": ST + "test_wrap_up_holds_the_next_offer_then_dispatches_it",
    "answer_timeout": ST + "test_accepted_but_never_answered_goes_back_to_its_place",
    "debrief": ST + "test_stressful_close_offers_a_debrief",
    "debrief.after": ST + "test_ordinary_close_offers_no_debrief",
    "debrief.page": SMS2 + "test_a_hard_contact_pages_the_supervisor_for_a_debrief",
    "debrief.via": SMS2 + "test_a_hard_contact_pages_the_supervisor_for_a_debrief",
    "debrief.break_for": ST + "test_stressful_close_offers_a_debrief",
    "feedback": FU + "test_feedback_is_counted_by_day_without_a_link",
    "feedback.question": FU + "test_feedback_question_follows_an_answered_text_contact",
    "feedback.scale": "tests/protocols/test_staffing_rules.py::test_feedback_answers_are_words_of_the_scale",
    "feedback.channels": FU + "test_feedback_only_on_the_channels_the_protocol_names",
    "feedback.skip_flags": FU + "test_no_feedback_question_when_texting_afterwards_could_be_unsafe",
    "partners[].last_verified": "tests/router/test_staff_api.py::test_partner_directory_and_stale_entries",
    "partners[].review_every": "tests/router/test_staff_api.py::test_partner_directory_and_stale_entries",
}

# Entries whose tests another engineer's branch brings (checked at merge by the lead): the
# test file must not exist yet on this branch, or must define the test once it does.
ELSEWHERE = ("tests/ledger/",)
