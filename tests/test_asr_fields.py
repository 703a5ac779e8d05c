"""What dictated text means for a template field (reporting.asr.fields) and the session that
fills fields with it."""

from __future__ import annotations

import pytest

from reporting.asr.fake import transcript_from_text
from reporting.asr.fields import said_value
from reporting.asr.processing import build_pipeline
from reporting.dictation import DictationSession, Utterance
from reporting.templating import load_template

MAMMO = load_template("mammo_birads")
BIRADS = MAMMO.section("impression").field("birads")
DENSITY = MAMMO.section("findings").field("breast_composition")
RATIO = load_template("ctpa").section("findings").field("rv_lv_ratio")
BOLUS = load_template("ctpa").section("technique").field("bolus_adequate")
FLUID = load_template("us_pelvis_female").section("findings").field("free_fluid")


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("Two, benign.", "2 - benign"),
        ("Category four.", "4 - suspicious"),
        ("BI-RADS 4.", "4 - suspicious"),
        ("Zero.", "0 - incomplete, needs additional imaging"),
        ("Benign.", "2 - benign"),
        ("Probably benign.", "3 - probably benign"),
        ("Highly suggestive.", "5 - highly suggestive of malignancy"),
        # a number and another category's words, or no category: kept as said
        ("Two, probably benign.", "Two, probably benign."),
        ("Seven.", "Seven."),
        ("The lesion is benign.", "The lesion is benign."),
    ],
)
def test_a_category_is_chosen_by_its_number_or_its_words(said: str, value: str) -> None:
    assert said_value(BIRADS, said) == value


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("B.", "b. scattered areas of fibroglandular density"),
        ("Extremely dense.", "d. extremely dense, which lowers the sensitivity of mammography"),
        ("C, heterogeneously dense.", "c. heterogeneously dense, which may obscure small masses"),
        # a letter said alone, as the recogniser may write it
        ("See.", "c. heterogeneously dense, which may obscure small masses"),
        ("Bee.", "b. scattered areas of fibroglandular density"),
        ("See a radiologist.", "See a radiologist."),
    ],
)
def test_a_lettered_choice_by_its_letter_or_its_first_words(said: str, value: str) -> None:
    assert said_value(DENSITY, said) == value


def test_a_number_said_in_another_unit_is_put_in_the_field_s_unit() -> None:
    # "112 mm" in a field in cm was 112 cm: ten times the kidney said
    length = load_template("us_renal").section("findings").field("right_kidney_length")
    thickness = load_template("us_pelvis_female").section("findings").field("endometrial_thickness")
    volume = load_template("us_renal").section("findings").field("postvoid_volume")
    assert said_value(length, "112 mm") == 11.2 and said_value(length, "11.2 cm") == 11.2
    assert said_value(thickness, "0.6 cm") == 6 and said_value(volume, "50 cc") == 50
    assert said_value(length, "11.2 mL") == "11.2 mL"  # no length: kept as said


def test_numbers_checkboxes_and_plain_choices() -> None:
    assert said_value(RATIO, "Point nine.") == 0.9
    assert said_value(RATIO, "one point two") == 1.2
    assert said_value(RATIO, "1.1") == 1.1
    assert said_value(RATIO, "Normal.") == "Normal."
    assert said_value(BOLUS, "Yes.") is True and said_value(BOLUS, "No.") is False
    assert said_value(BOLUS, "Probably.") == "Probably."
    assert said_value(FLUID, "Trace.") == "trace, physiologic"
    assert said_value(FLUID, "Moderate.") == "moderate"


def test_the_session_fills_a_category_and_the_report_shows_it() -> None:
    s = DictationSession(MAMMO)
    s.apply("Go to BI-RADS.")
    s.apply("Two, benign.")
    field = s.draft.section("impression").field("birads")
    assert field is not None and field.value == "2 - benign"
    assert "2 - benign" in s.draft.text


def _fields(s: DictationSession) -> dict[str, object]:
    return {f.id: f.value for sec in s.draft.sections for f in sec.fields}


def test_a_field_named_before_a_comma_or_colon_takes_what_follows() -> None:
    s = DictationSession(load_template("us_renal"))
    s.apply("Right kidney length, 11.2 cm.")  # a number field: a comma is enough
    s.apply("Left kidney length: 10.8 cm.")
    s.apply("Bladder: partially distended.")  # a text field needs the colon
    s.apply("Post void, 50 mL.")
    values = _fields(s)
    assert values["right_kidney_length"] == 11.2 and values["left_kidney_length"] == 10.8
    assert values["bladder"] == "Partially distended." and values["postvoid_volume"] == 50
    m = DictationSession(MAMMO)
    m.apply("BI-RADS, two, benign.")  # the recogniser's "BI-RADS" is the trigger "birads"
    assert _fields(m)["birads"] == "2 - benign"


def test_a_value_field_named_right_before_its_value_takes_it() -> None:
    # how the recogniser most often writes it: no comma
    s = DictationSession(load_template("us_abdomen"))
    s.apply("Liver length 15 cm.")
    s.apply("Common bile duct is 4 mm.")
    s.apply("Ascites none.")
    values = _fields(s)
    assert (values["liver_length"], values["cbd_diameter"], values["free_fluid"]) == (15, 4, False)
    s.apply("Liver length is normal.")  # no value: a sentence, said where the cursor is
    assert s.current_stop.field == "free_fluid"
    assert _fields(s)["free_fluid"] == "no. Liver length is normal."


def test_a_field_s_name_said_alone_is_its_header() -> None:
    """ "Medial meniscus." then what it shows, as a radiologist reads down a structured knee
    report.  Before, the name stayed in the prose, every untouched field's normal text was
    dropped, and "Cartilage." ended up inside the effusion field."""
    s = DictationSession(load_template("mr_knee"))
    for said in [
        "Medial meniscus.",
        "Complex tear of the posterior horn.",
        "Effusion, moderate.",
        "Cartilage. Grade 2 chondromalacia.",
        "Impression.",
        "Complex medial meniscal tear.",
    ]:
        s.apply(said)
    fields = _fields(s)
    assert fields["medial_meniscus"] == "Complex tear of the posterior horn."
    assert fields["effusion"] == "moderate"
    assert fields["cartilage"] == "Grade 2 chondromalacia."
    assert fields["lateral_meniscus"] == "Intact. No tear."  # the normal text stays
    assert "Medial meniscus." not in s.draft.section("findings").text
    assert s.draft.section("impression").text == "Complex medial meniscal tear."
    # a name the recogniser mis-spelled is still the name, as the text would be corrected
    k = DictationSession(load_template("mr_knee"))
    k.apply("Effusion, moderate. Cardilage. Grade 2 chondromalacia.")  # Whisper base, espeak
    assert _fields(k)["effusion"] == "moderate"
    assert _fields(k)["cartilage"] == "Grade 2 chondromalacia."


def test_a_value_field_s_name_after_the_with_its_value_is_its_header() -> None:
    s = DictationSession(load_template("us_abdomen"))
    s.apply("Go to findings.")
    s.apply("The common bile duct measures 4 mm.")
    assert _fields(s)["cbd_diameter"] == 4
    assert "The common bile duct" not in s.draft.section("findings").text
    # the value said in words, as the recogniser may write it: before, these went to the
    # findings prose and cleared every other field's normal text
    for said in ("Common bile duct measures four millimeters.", "Common bile duct point four cm."):
        w = DictationSession(load_template("us_abdomen"))
        w.apply("Go to findings.")
        w.apply(said)
        assert _fields(w)["cbd_diameter"] == 4
        assert _fields(w)["spleen"] == "Normal size and echotexture."
    # without a value after it, it is a sentence
    t = DictationSession(load_template("us_abdomen"))
    t.apply("Gallbladder.")
    t.apply("The common bile duct is normal in caliber.")
    assert _fields(t)["gallbladder"] == "The common bile duct is normal in caliber."


def test_a_text_field_s_name_before_a_measurement_is_its_header() -> None:
    # before, "Spleen 11 cm." said after the gallbladder went into the gallbladder's text
    s = DictationSession(load_template("us_abdomen"))
    s.apply("Gallbladder: multiple mobile gallstones.")
    s.apply("Spleen 11 cm.")
    assert _fields(s)["gallbladder"] == "Multiple mobile gallstones."
    assert _fields(s)["spleen"] == "11 cm."
    # a doubtful "the" said with the name is a doubt about which field was meant
    d = DictationSession(load_template("us_abdomen"), pipeline=build_pipeline())
    heard = transcript_from_text("The spleen measures 14 cm.", probabilities={"the": 0.3})
    d.apply(Utterance(heard.text, heard.words))
    (issue,) = [i for i in d.issues if i.code == "asr.low_confidence"]
    assert "belongs in 'Spleen'" in issue.message
    t = DictationSession(load_template("us_abdomen"))
    t.apply("Go to findings.")
    t.apply("The spleen measures eleven centimeters.")
    assert _fields(t)["spleen"] == "Measures 11 cm."
    assert _fields(t)["liver"].startswith("Normal size")  # the other fields keep their text
    # a description is no measurement: the sentence stays where it is said
    u = DictationSession(load_template("us_abdomen"))
    u.apply("Gallbladder: multiple mobile gallstones.")
    u.apply("Spleen is normal in size.")
    assert _fields(u)["gallbladder"] == "Multiple mobile gallstones. Spleen is normal in size."


def test_a_measurement_said_at_an_organ_with_a_length_field_is_its_length() -> None:
    # "Right kidney 11 cm." replaced the right kidney's description with "11 cm."
    s = DictationSession(load_template("us_renal"))
    s.apply("Go to findings.")
    s.apply("Right kidney 11 cm.")
    assert _fields(s)["right_kidney_length"] == 11
    assert _fields(s)["right_kidney"].startswith("Normal")  # the description stays
    s.apply("Mild hydronephrosis.")  # the cursor stays at the organ
    assert _fields(s)["right_kidney"] == "Mild hydronephrosis."
    # the length first, then the organ: each sentence where it belongs
    s.apply("Left kidney: ten point five centimeters. Simple cyst in the lower pole.")
    assert _fields(s)["left_kidney_length"] == 10.5
    assert _fields(s)["left_kidney"] == "Simple cyst in the lower pole."
    # ... also as clauses, with commas where the speaker paused (flite slt, Whisper base)
    c = DictationSession(load_template("us_renal"))
    c.apply("Go to findings.")
    c.apply("Left kidney 10.5 cm, simple cyst in the lower pole.")
    c.apply("Right kidney, 11 cm, no hydronephrosis.")
    assert _fields(c)["left_kidney_length"] == 10.5
    assert _fields(c)["left_kidney"] == "Simple cyst in the lower pole."
    assert _fields(c)["right_kidney_length"] == 11
    assert _fields(c)["right_kidney"] == "No hydronephrosis."
    t = DictationSession(load_template("us_abdomen"))
    t.apply("Liver: sixteen point five centimeters.")
    assert _fields(t)["liver_length"] == 16.5
    assert _fields(t)["liver"].startswith("Normal size")


def test_a_sentence_that_begins_with_an_organ_and_a_comma_is_not_a_header() -> None:
    s = DictationSession(load_template("chest_xr"))
    s.apply("Go to findings.")
    s.apply("The heart, mediastinum and hila are normal.")
    s.apply("Lungs, heart and bones are unremarkable.")  # organs listed: a sentence
    assert s.current_stop.field is None
    assert s.draft.section("findings").text == (
        "The heart, mediastinum and hila are normal. Lungs, heart and bones are unremarkable."
    )


def test_a_text_field_s_name_and_a_comma_before_a_description_is_its_header() -> None:
    # Whisper writes the pause after a spoken header as a comma (flite awb, CT chest): the
    # sentence went to the findings prose and cleared every other field's normal text
    s = DictationSession(load_template("ct_chest"))
    s.apply("Go to findings.")
    s.apply("Lungs, there is a 6 mm solid nodule in the right upper lobe.")
    assert _fields(s)["lungs"] == "There is a 6 mm solid nodule in the right upper lobe."
    assert _fields(s)["pleura"].startswith("No pleural effusion")
    c = DictationSession(load_template("chest_xr"))
    c.apply("Heart, normal size.")
    assert _fields(c)["heart_mediastinum"] == "Normal size."
    # ... and with no mark at all, before "there is" (flite rms, CT abdomen)
    a = DictationSession(load_template("ct_abdomen_pelvis"))
    a.apply("Go to findings.")
    a.apply("Adrenal glands there is a 2 cm left adrenal nodule.")
    assert _fields(a)["adrenals"] == "There is a 2 cm left adrenal nodule."
    assert _fields(a)["liver"] is not None  # the other fields keep their normal text
    # a description that begins with how old a finding is (espeak en+m3, CT head)
    h = DictationSession(load_template("ct_head"))
    h.apply("Findings, hemorrhage, acute right subdural hematoma.")
    assert _fields(h)["hemorrhage"] == "Acute right subdural hematoma."


def test_a_value_said_again_replaces_it_and_a_sentence_is_never_cut_to_a_number() -> None:
    s = DictationSession(load_template("us_renal"))
    s.apply("Right kidney length, 11.2 cm.")
    s.apply("11.5 cm.")  # said again: the new number, not the first one kept
    assert _fields(s)["right_kidney_length"] == 11.5
    s.apply("The bladder is partially distended.")  # prose at a number field: nothing lost
    assert _fields(s)["right_kidney_length"] == "11.5 cm. The bladder is partially distended."
    k = DictationSession(load_template("mr_knee"))
    k.apply("Go to effusion.")
    k.apply("Small.")
    k.apply("Moderate.")
    assert _fields(k)["effusion"] == "moderate"


def test_a_doubtful_word_a_value_was_taken_from_is_flagged_on_the_value() -> None:
    # the number's flag used to be dropped once the field took the number
    s = DictationSession(load_template("us_renal"))
    s.apply("Go to right kidney length.")
    heard = transcript_from_text("Eleven point two centimeters.", probabilities={"eleven": 0.3})
    s.apply(Utterance.from_transcript(heard))
    assert [s.draft.text[i.start : i.end] for i in s.issues] == ["11.2 cm"]
    assert "30%" in s.issues[0].message
    m = DictationSession(MAMMO)
    m.apply("Go to BI-RADS.")
    m.apply(
        Utterance.from_transcript(transcript_from_text("Two, benign.", probabilities={"two": 0.2}))
    )
    assert [m.draft.text[i.start : i.end] for i in m.issues] == ["2 - benign"]


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("mammo_birads", "The mass is probably benign."),  # was "The mass is 3 - probably benign."
        ("us_pelvis_female", "Her last menstrual period was 2 weeks ago."),  # "last Last ..."
        ("ctpa", "The LV diameter ratio is 0.9."),  # "LV LV diameter ratio"
        ("ct_abdomen_pelvis", "There is colon wall thickening."),  # "There is: wall ..."
    ],
)
def test_a_template_s_own_words_are_kept_as_said(template: str, said: str) -> None:
    from reporting.asr.processing import build_pipeline

    assert build_pipeline(spec=load_template(template)).process(said).text == said


def test_a_doubtful_word_in_a_field_s_name_is_flagged_on_what_it_took(tmp_path) -> None:
    # "Left kidney length 10.5 cm." with "Left" at 40%: the value may belong to the right
    # kidney, and the name is a command, so nothing of it is in the text to flag
    journal = tmp_path / "renal.jsonl"
    s = DictationSession(load_template("us_renal"), journal=journal)
    heard = transcript_from_text("Left kidney length 10.5 cm.", probabilities={"left": 0.4})
    s.apply(Utterance.from_transcript(heard))
    heard = transcript_from_text("Post void residual 50 mL.", probabilities={"void": 0.2})
    s.apply(Utterance.from_transcript(heard))
    s.apply(Utterance.from_transcript(transcript_from_text("Right kidney length 11 cm.")))
    issues = s.issues
    assert [s.draft.text[i.start : i.end] for i in issues] == ["10.5 cm", "50 mL"]
    assert "a side may be misheard" in issues[0].message
    assert "belongs in 'Post-void residual'" in issues[1].message
    recovered = DictationSession.recover(journal)
    assert [i.message for i in recovered.issues] == [i.message for i in issues]


def test_a_doubtful_hyphenated_field_name_is_flagged_on_what_it_took() -> None:
    # the grammar reads "BI-RADS" as "bi rads"; the doubt about it was lost on the way
    s = DictationSession(load_template("mammo_birads"))
    heard = transcript_from_text("BI-RADS category four.", probabilities={"bi-rads": 0.3})
    s.apply(Utterance.from_transcript(heard))
    (issue,) = s.issues
    assert s.draft.text[issue.start : issue.end].startswith("4")
    assert "belongs in 'BI-RADS" in issue.message


def test_a_measured_field_s_name_heard_as_other_words_is_restored_and_flagged() -> None:
    # espeak's en-gb and en+m3 voices: "Endometrial thickness" came out "And a material
    # thickness", which named no field, so the value went into the prose of the field before
    pelvis = load_template("us_pelvis_female")
    s = DictationSession(pelvis)
    s.apply("Uterus.")
    said = "And a material thickness eight millimeters. Free fluid trace."
    s.apply(Utterance.from_transcript(transcript_from_text(said, probabilities={"material": 0.3})))
    values = _fields(s)
    assert values["endometrial_thickness"] == 8 and values["free_fluid"] == "trace, physiologic"
    assert str(values["uterus"]).startswith("Anteverted")  # the normal text, untouched
    (issue,) = s.issues
    assert s.draft.text[issue.start : issue.end] == "8 mm"
    assert "belongs in 'Endometrial thickness'" in issue.message and "30%" in issue.message
    # the text pipeline writes the name too ("reporting transcribe --template")
    pipeline = build_pipeline(spec=pelvis)
    assert pipeline.process(said).text.startswith("Endometrial thickness 8 mm.")


@pytest.mark.parametrize(
    ("template", "said"),
    [
        # a name with more words after it, however it is spaced
        ("us_renal", "Postvoid residual volume is 50 mL."),
        # words like no measured field's name, before a measurement
        ("us_pelvis_female", "The material measures 8 mm."),
        ("us_pelvis_female", "Uterus 9 cm."),
        ("us_abdomen", "There is a 3 cm cyst."),
    ],
)
def test_words_before_a_measurement_that_name_no_measured_field_stay(
    template: str, said: str
) -> None:
    from reporting.asr.fields import measured_names, restore_measured_names

    pipeline = build_pipeline(spec=load_template(template))
    names = measured_names(load_template(template))
    assert restore_measured_names(said, names, pipeline.corrector.key) == (said, [])


@pytest.mark.parametrize(
    ("template", "said", "values"),
    [
        # the recogniser writes the pauses between fields said one after another as commas,
        # or as nothing after the section's name
        (
            "us_pelvis_female",
            "Findings, uterine length 9.8 cm, endometrial thickness 8 mm, free fluid trace.",
            {"uterus_length": 9.8, "endometrial_thickness": 8, "free_fluid": "trace, physiologic"},
        ),
        (
            "us_pelvis_female",
            "Findings uterine length 9.8 cm. Endometrial thickness 8 mm.",
            {"uterus_length": 9.8, "endometrial_thickness": 8},
        ),
        (
            "mammo_birads",
            "Findings. Breast composition c, mass. Irregular mass in the left breast.",
            {
                "breast_composition": "c. heterogeneously dense, which may obscure small masses",
                "masses": "Irregular mass in the left breast.",
            },
        ),
        (
            "ct_head",
            "Hemorrhage. Acute right subdural hematoma, midline shift 6 mm.",
            {"hemorrhage": "Acute right subdural hematoma.", "midline_shift": 6},
        ),
        (
            "xr_extremity",
            "Findings fracture. Distal radius fracture.",
            {"fracture": "Distal radius fracture."},
        ),
    ],
)
def test_fields_said_one_after_another_with_commas_fill_each(
    template: str, said: str, values: dict[str, object]
) -> None:
    s = DictationSession(load_template(template))
    s.apply(said)
    got = _fields(s)
    assert {k: got[k] for k in values} == values


def test_a_comma_before_a_field_s_name_in_a_sentence_stays() -> None:
    # a text field's name after a comma, in prose: no header, no cut
    s = DictationSession(load_template("ct_chest"))
    s.apply("The heart, mediastinum and hila are normal.")
    assert "The heart, mediastinum and hila are normal." in s.draft.text
    # a measured field's name in prose with no value after it stays too
    h = DictationSession(load_template("ct_head"))
    h.apply("Subdural hematoma, midline shift is absent.")
    assert "Subdural hematoma, midline shift is absent." in h.draft.text
    assert _fields(h)["midline_shift"] in (None, 0)  # it took nothing
    # a measured field and its value inside a sentence that goes on after it
    p = DictationSession(load_template("us_pelvis_female"))
    p.apply("Enlarged, uterine length 9.8 cm, with a fibroid.")
    assert "Enlarged, uterine length 9.8 cm, with a fibroid." in p.draft.text


def test_a_measured_field_named_with_its_value_in_other_text_takes_the_value() -> None:
    # "... hematoma midline shift 6 mm." said in the hemorrhage field (no pause before the
    # name): the name begins the midline shift field, which no longer keeps the template's
    # 0, and its value is flagged for the radiologist to confirm
    s = DictationSession(load_template("ct_head"))
    s.apply("Findings. Hemorrhage. Acute right subdural hematoma midline shift 6 mm.")
    values = _fields(s)
    assert values["hemorrhage"] == "Acute right subdural hematoma."
    assert values["midline_shift"] == 6
    (issue,) = s.issues
    assert s.draft.text[issue.start : issue.end] == "6 mm"
    assert "heard inside the sentence before it, with no pause" in issue.message
    # said in a section's prose, the text stays as said and the value is taken from it
    t = DictationSession(load_template("ct_head"))
    t.apply("Acute right subdural hematoma midline shift 6 mm.")
    assert "Acute right subdural hematoma midline shift 6 mm." in t.draft.text
    assert _fields(t)["midline_shift"] == 6
    (issue,) = t.issues
    assert "taken from the text dictated with the field's name" in issue.message
    # "of" between them too; and a name with no measurement gives nothing
    p = DictationSession(load_template("ct_head"))
    p.apply("Acute right subdural hematoma with midline shift of 4 mm.")
    assert _fields(p)["midline_shift"] == 4
    n = DictationSession(load_template("ct_head"))
    n.apply("No midline shift.")
    assert _fields(n)["midline_shift"] in (None, 0)


def test_fields_said_in_one_breath_each_get_their_value() -> None:
    # the recogniser wrote no pause between the section, the fields and their values
    k = DictationSession(load_template("mr_knee"))
    k.apply("Findings medial meniscus complex tear of the posterior horn effusion moderate.")
    values = _fields(k)
    assert values["medial_meniscus"] == "Complex tear of the posterior horn."
    assert values["effusion"] == "moderate"
    (issue,) = k.issues  # the value after a name heard with no pause is confirmed
    assert k.draft.text[issue.start : issue.end] == "moderate"
    assert "'Joint effusion'" in issue.message and "no pause" in issue.message
    a = DictationSession(load_template("us_abdomen"))
    a.apply(
        "Findings liver length 16 cm common bile duct 4 mm gallbladder multiple gallstones "
        "without wall thickening."
    )
    values = _fields(a)
    assert (values["liver_length"], values["cbd_diameter"]) == (16, 4)
    assert values["gallbladder"] == "Multiple gallstones without wall thickening."
    # a field's own name inside its value is not a header
    x = DictationSession(load_template("xr_extremity"))
    x.apply(
        "Findings fracture nondisplaced fracture of the distal radius soft tissues mild swelling"
    )
    values = _fields(x)
    assert values["fracture"] == "Nondisplaced fracture of the distal radius."
    assert values["soft_tissues"] == "Mild swelling"


def test_a_field_name_inside_prose_said_into_a_field_stays_text() -> None:
    # a name after a word that goes with it: a side, "otherwise", an adjective, "and"
    c = DictationSession(load_template("chest_xr"))
    c.move_to("findings", "pleura")
    said = "Otherwise lungs clear. Clear lungs, no focal airspace consolidation."
    c.apply(said)
    assert _fields(c)["pleura"] == said
    assert not c.issues
    p = DictationSession(load_template("ct_abdomen_pelvis"))
    p.move_to("findings", "liver")
    p.apply("Honeycombing at both lung bases, stable from the prior study.")
    assert _fields(p)["liver"] == "Honeycombing at both lung bases, stable from the prior study."
    k = DictationSession(load_template("mr_knee"))
    k.move_to("findings", "medial_meniscus")
    k.apply("Complex tear with a small joint effusion, or pleural effusion moderate.")
    assert _fields(k)["effusion"] == "none"  # the template's, untouched
    # a section's name before a field of another section is not a go-to that field
    i = DictationSession(load_template("mr_knee"))
    i.apply("Impression medial meniscus complex tear.")
    assert "tear" not in str(_fields(i)["medial_meniscus"]).lower()
    assert "Impression medial meniscus complex tear." in i.draft.text


def test_a_field_name_between_pauses_after_a_value_or_its_section_is_a_header() -> None:
    # the pauses around "mass" written as commas, after the composition's value
    m = DictationSession(load_template("mammo_birads"))
    m.apply("Findings. Breast composition c, mass, irregular mass in the upper outer left breast.")
    values = _fields(m)
    assert str(values["breast_composition"]).startswith("c. heterogeneously dense")
    assert values["masses"] == "Irregular mass in the upper outer left breast."
    # ... or no pause at all after a value said in a few words
    n = DictationSession(load_template("mammo_birads"))
    n.apply("Findings breast composition see mass an irregular mass in the left breast.")
    values = _fields(n)
    assert str(values["breast_composition"]).startswith("c. heterogeneously dense")
    assert values["masses"] == "An irregular mass in the left breast."
    # after its section's name
    x = DictationSession(load_template("xr_extremity"))
    x.apply("Findings, fracture, nondisplaced fracture of the distal radius.")
    assert _fields(x)["fracture"] == "Nondisplaced fracture of the distal radius."
    # a list of organs keeps its commas; an article is not the letter a
    c = DictationSession(load_template("mammo_birads"))
    c.move_to("findings", "breast_composition")
    c.apply("A mass in the left upper lobe.")
    assert _fields(c)["masses"] in (None, "None.")
    h = DictationSession(load_template("chest_xr"))
    h.apply("Findings, lungs, pleura and heart are normal.")
    assert "Lungs, pleura and heart are normal." in h.draft.text


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        # the words said for the field before are its value; they were swallowed into the
        # measured field's name once, and the left ovary kept its normal text
        (
            ("Left ovary.", "Enlarged, endometrial thickness, 12 mm."),
            {"left_ovary": "Enlarged.", "endometrial_thickness": 12},
        ),
        # with no pause written, the words stay in the field said into, and the measured
        # field takes its value from them
        (
            ("Left ovary.", "Enlarged endometrial thickness 12 mm."),
            {"left_ovary": "Enlarged endometrial thickness 12 mm.", "endometrial_thickness": 12},
        ),
        # in one breath, as flite slt said it: every field its own value
        (
            (
                "Findings, right ovary, there is a 3 cm simple cyst, left ovary, normal, "
                "endometrial thickness, 12 mm.",
            ),
            {
                "right_ovary": "There is a 3 cm simple cyst.",
                "left_ovary": "Normal.",
                "endometrial_thickness": 12,
            },
        ),
        # no pause written after the value, one after the name (flite kal): "Normal" is the
        # ovary's and the next sentence the thickness; without a measurement next, a sentence
        (
            ("Left ovary. Normal endometrial thickness. 12 mm.",),
            {"left_ovary": "Normal.", "endometrial_thickness": 12},
        ),
        (
            ("Left ovary. Normal endometrial thickness. Free fluid trace.",),
            {"left_ovary": "Normal endometrial thickness."},
        ),
        # more said after the measurement: no header, and every word stays
        (
            ("Left ovary.", "Enlarged, endometrial thickness, 12 mm, with a cyst."),
            {"left_ovary": "Enlarged, endometrial thickness, 12 mm, with a cyst."},
        ),
    ],
)
def test_a_measured_field_named_between_pauses_takes_its_measurement_and_nothing_is_lost(
    said: tuple[str, ...], expected: dict[str, object]
) -> None:
    s = DictationSession(load_template("us_pelvis_female"))
    for utterance in said:
        s.apply(utterance)
    values = _fields(s)
    for field_id, value in expected.items():
        assert values[field_id] == value


def test_a_numbered_scale_misheard_before_its_number_fills_its_field() -> None:
    m = DictationSession(load_template("mammo_birads"))
    m.apply("Impression. Suspicious mass. By rads 4.")
    assert _fields(m)["birads"] == "4 - suspicious"
    (issue,) = m.issues  # restored from other words: confirmed
    assert "belongs in 'BI-RADS assessment category'" in issue.message
    pipeline = build_pipeline(spec=load_template("mammo_birads"))
    assert pipeline.process("Suspicious mass. By reds 4.", []).text.endswith("BI-RADS 4.")
    # another scale written as an acronym is not taken for it; nor words that are not near
    said = "TI-RADS 4, fine needle aspiration recommended."
    assert pipeline.process(said, []).text == said
    n = DictationSession(load_template("mammo_birads"))
    n.apply("Buy rats 4.")
    assert _fields(n)["birads"] in (None, "1 - negative")
    # at the end of a sentence dictated into another field, with no pause before it
    r = DictationSession(load_template("mammo_birads"))
    r.move_to("findings", "masses")
    r.apply("Irregular mass in the left breast by reds 4.")
    values = _fields(r)
    assert values["masses"] == "Irregular mass in the left breast."
    assert values["birads"] == "4 - suspicious"


def test_a_field_name_said_alone_and_misheard_is_its_header() -> None:
    s = DictationSession(load_template("us_pelvis_female"))
    s.apply("Findings. Bright ovary. There is a 3 cm simple cyst. Left ovary normal.")
    values = _fields(s)
    assert values["right_ovary"] == "There is a 3 cm simple cyst."
    assert values["left_ovary"] == "Normal."
    (issue,) = s.issues  # the restored name's value is confirmed
    assert "belongs in 'Right ovary'" in issue.message
    # a sentence that holds a name, or a word more or less, is not a misheard name
    h = DictationSession(load_template("ct_head"))
    h.apply("No midline shift.")
    assert "No midline shift." in h.draft.text
    x = DictationSession(load_template("xr_extremity"))
    x.apply("No fracture.")
    assert "No fracture." in x.draft.text
