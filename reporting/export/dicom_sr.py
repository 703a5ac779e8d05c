"""DICOM Enhanced SR export: a Diagnostic Imaging Report (TID 2000) built on highdicom items.

Content tree (PS3.16 TID 2000)::

    CONTAINER (18748-4, LN, "Diagnostic Imaging Report")          root, TID 2000
      HAS CONCEPT MOD CODE Language of Content ...                 TID 1204
      HAS OBS CONTEXT CODE Observer Type = Person / Device          TID 1001/1002
      HAS OBS CONTEXT PNAME Person Observer Name = author           TID 1003
      HAS CONCEPT MOD CODE Procedure reported = procedure code      (when coded)
      CONTAINS CONTAINER <CID 7001 heading>                        one per section
        CONTAINS TEXT <CID 7002 element> = paragraph               one per paragraph

Patient and study attributes come from the report, or from an image header (``study_dataset``)
that is then listed as evidence.  Text is UTF-8 (ISO_IR 192).  Status maps to the completion,
verification and preliminary flags; a final report carries the Verifying Observer Sequence.  An
amended report (with its addendum section) is a new instance that names the previous SR in the
Predecessor Documents Sequence.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Iterable

import highdicom as hd
from pydicom import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.sequence import Sequence as DicomSequence
from pydicom.sr.codedict import codes
from pydicom.uid import ExplicitVRLittleEndian

from reporting.coding import DIAGNOSTIC_IMAGING_REPORT, Code
from reporting.errors import ExportError
from reporting.export.base import Clock, UidFactory, now, random_uid
from reporting.export.common import ExportOptions, narrative_sections, paragraphs
from reporting.model import Report, Section, Sex, Status

__all__ = [
    "ENHANCED_SR",
    "LOCAL_SCHEME",
    "to_dicom_sr",
    "dicom_bytes",
    "section_concept",
    "element_concept",
    "patient_study",
    "reference",
]

log = logging.getLogger(__name__)

#: Enhanced SR Storage SOP Class.
ENHANCED_SR = "1.2.840.10008.5.1.4.1.1.88.22"
#: Private coding scheme for section headings that CID 7001 lacks (value = our section name).
LOCAL_SCHEME = "99RPT"

_RFC5646 = hd.sr.CodedConcept("en", "RFC5646", "English")

#: CID 7002 report element used for the text items of each section.
_ELEMENTS: dict[str, tuple[str, str, str]] = {
    "examination": ("121065", "DCM", "Procedure Description"),
    "technique": ("121065", "DCM", "Procedure Description"),
    "history": ("11329-0", "LN", "History"),
    "indication": ("11329-0", "LN", "History"),
    "request": ("55115-0", "LN", "Request"),
    "comparison": ("121069", "DCM", "Previous Finding"),
    "prior_procedures": ("121069", "DCM", "Previous Finding"),
    "findings": ("121071", "DCM", "Finding"),
    "impression": ("121073", "DCM", "Impression"),
    "conclusion": ("121077", "DCM", "Conclusion"),
    "recommendation": ("121075", "DCM", "Recommendation"),
    "complications": ("116224001", "SCT", "Complication of Procedure"),
    "summary": ("55112-7", "LN", "Summary"),
}
_DEFAULT_ELEMENT = ("121071", "DCM", "Finding")

#: Maximum value lengths of the VRs we fill from report data (PS3.5 table 6.2-1).
_MAX = {"LO": 64, "SH": 16, "PN": 64}


def section_concept(section: Section) -> hd.sr.CodedConcept:
    """The container heading: the section's CID 7001 code, else a local ``99RPT`` code."""
    code = section.code
    if code is None:
        return hd.sr.CodedConcept(
            section.name[:16], LOCAL_SCHEME, _lo(section.title or section.name)
        )
    return hd.sr.CodedConcept(code.value, code.scheme, _lo(code.meaning or section.title))


def element_concept(section_name: str) -> hd.sr.CodedConcept:
    value, scheme, meaning = _ELEMENTS.get(section_name, _DEFAULT_ELEMENT)
    return hd.sr.CodedConcept(value, scheme, meaning)


#: UT may hold CR, LF, FF and ESC but no other control character (PS3.5 6.2): TAB becomes a space.
_UT_CONTROLS = re.compile(r"[\x00-\x08\x09\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def _ut(text: str) -> str:
    return _UT_CONTROLS.sub(" ", text)


def _lo(text: str) -> str:
    return text[:64]


def _checked(value: str, vr: str, what: str, report: Report) -> str:
    limit = _MAX[vr]
    parts = value.split("^") if vr == "PN" else [value]
    if any(len(p) > limit for p in parts):
        raise ExportError(
            f"report {report.id}: {what} is longer than DICOM allows ({limit} characters)"
        )
    if "\\" in value:
        raise ExportError(f"report {report.id}: {what} must not contain a backslash in DICOM")
    if vr == "PN" and value and "^" not in value:
        # A free-text name ("Dr Ann Lee") is one family-name component; the trailing caret says
        # so explicitly (PS3.5 6.2.1.2), and the reader removes it again.
        return value + "^"
    return value


def _da(value: dt.date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def _tm(value: dt.datetime) -> str:
    return value.strftime("%H%M%S")


def _dt(value: dt.datetime) -> str:
    text = value.strftime("%Y%m%d%H%M%S")
    if value.tzinfo is not None:
        text += value.strftime("%z")
    return text


def _code(code: Code) -> hd.sr.CodedConcept:
    return hd.sr.CodedConcept(code.value, code.scheme, _lo(code.meaning or code.value))


def _content(report: Report, options: ExportOptions, uid: UidFactory) -> hd.sr.ContainerContentItem:
    root = hd.sr.ContainerContentItem(
        name=_code(DIAGNOSTIC_IMAGING_REPORT), is_content_continuous=False, template_id="2000"
    )
    items: list[Dataset] = []
    items.extend(hd.sr.LanguageOfContentItemAndDescendants(language=_language(options)))
    observer = report.author or report.verifier
    if observer:
        attrs: hd.sr.PersonObserverIdentifyingAttributes | hd.sr.DeviceObserverIdentifyingAttributes
        attrs = hd.sr.PersonObserverIdentifyingAttributes(
            name=_checked(observer, "PN", "author name", report)
        )
        items.extend(
            hd.sr.ObserverContext(
                observer_type=codes.DCM.Person, observer_identifying_attributes=attrs
            )
        )
    else:
        attrs = hd.sr.DeviceObserverIdentifyingAttributes(uid=uid(), name=options.manufacturer)
        items.extend(
            hd.sr.ObserverContext(
                observer_type=codes.DCM.Device, observer_identifying_attributes=attrs
            )
        )
    if report.procedure.code is not None:
        items.append(
            hd.sr.CodeContentItem(
                name=codes.DCM.ProcedureReported,
                value=_code(report.procedure.code),
                relationship_type=hd.sr.RelationshipTypeValues.HAS_CONCEPT_MOD,
            )
        )
    for section in narrative_sections(report):
        container = hd.sr.ContainerContentItem(
            name=section_concept(section),
            is_content_continuous=False,
            relationship_type=hd.sr.RelationshipTypeValues.CONTAINS,
        )
        element = element_concept(section.name)
        container.ContentSequence = DicomSequence(
            hd.sr.TextContentItem(
                name=element,
                value=_ut(para),
                relationship_type=hd.sr.RelationshipTypeValues.CONTAINS,
            )
            for para in paragraphs(section.text)
        )
        items.append(container)
    root.ContentSequence = DicomSequence(items)
    return root


def _language(options: ExportOptions) -> hd.sr.CodedConcept:
    if options.language == "en":
        return _RFC5646
    return hd.sr.CodedConcept(options.language, "RFC5646", options.language)


def reference(ds: Dataset) -> Dataset:
    """A hierarchical SOP instance reference (study > series > instance) to ``ds``."""
    sop = Dataset()
    sop.ReferencedSOPClassUID = ds.SOPClassUID
    sop.ReferencedSOPInstanceUID = ds.SOPInstanceUID
    series = Dataset()
    series.SeriesInstanceUID = ds.SeriesInstanceUID
    series.ReferencedSOPSequence = [sop]
    study = Dataset()
    study.StudyInstanceUID = ds.StudyInstanceUID
    study.ReferencedSeriesSequence = [series]
    return study


def _require(ds: Dataset, keywords: Iterable[str], what: str) -> None:
    missing = [k for k in keywords if not ds.get(k)]
    if missing:
        raise ExportError(f"{what} lacks {', '.join(missing)}; it cannot be referenced")


def patient_study(ds: Dataset, report: Report, study: Dataset | None, uid: UidFactory) -> None:
    p, s = report.patient, report.study
    ds.PatientName = _checked(p.name, "PN", "patient name", report)
    ds.PatientID = _checked(p.id, "LO", "patient id", report)
    ds.PatientBirthDate = _da(p.birth_date)
    ds.PatientSex = "" if p.sex is Sex.UNKNOWN else p.sex.value
    ds.StudyInstanceUID = s.study_uid or uid()
    ds.StudyDate = _da(s.date)
    ds.StudyTime = ""
    ds.ReferringPhysicianName = _checked(s.referring, "PN", "referring physician", report)
    ds.StudyID = ""
    ds.AccessionNumber = _checked(s.accession, "SH", "accession number", report)
    if report.procedure.description and len(report.procedure.description) <= 64:
        ds.StudyDescription = report.procedure.description
    if study is None:
        return
    _require(
        study,
        ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"),
        "the study file",
    )
    if s.study_uid and s.study_uid != study.StudyInstanceUID:
        raise ExportError(
            f"report {report.id}: the study file belongs to another study than the report"
        )
    their_id = str(study.get("PatientID", "") or "")
    if p.id and their_id and p.id != their_id:
        raise ExportError(
            f"report {report.id}: the study file belongs to another patient than the report"
        )
    for keyword in (
        "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID",
        "StudyDate", "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber",
    ):  # fmt: skip
        value = study.get(keyword)
        if value not in (None, ""):
            setattr(ds, keyword, value)
    if study.get("StudyDescription") and "StudyDescription" not in ds:
        ds.StudyDescription = study.StudyDescription


def _request(ds: Dataset, report: Report) -> Dataset:
    """The order this report fulfils (SR Document General Module, Referenced Request Sequence)."""
    request = Dataset()
    request.StudyInstanceUID = ds.StudyInstanceUID
    request.ReferencedStudySequence = []
    request.AccessionNumber = ds.AccessionNumber
    request.PlacerOrderNumberImagingServiceRequest = ""
    request.FillerOrderNumberImagingServiceRequest = ""
    request.RequestedProcedureID = ""
    description = report.procedure.description
    request.RequestedProcedureDescription = description if len(description) <= 64 else ""
    codes_ = []
    if report.procedure.code is not None:
        item = Dataset()
        code = _code(report.procedure.code)
        item.CodeValue = code.value
        item.CodingSchemeDesignator = code.scheme_designator
        item.CodeMeaning = code.meaning
        codes_.append(item)
    request.RequestedProcedureCodeSequence = codes_
    return request


def _flags(ds: Dataset, report: Report, when: dt.datetime, options: ExportOptions) -> None:
    final = report.status in (Status.FINAL, Status.AMENDED)
    ds.CompletionFlag = "PARTIAL" if report.status is Status.DRAFT else "COMPLETE"
    ds.PreliminaryFlag = "FINAL" if final else "PRELIMINARY"
    if final:
        ds.VerificationFlag = "VERIFIED"
        observer = Dataset()
        observer.VerifyingObserverName = _checked(report.verifier, "PN", "verifier name", report)
        observer.VerifyingObserverIdentificationCodeSequence = []
        observer.VerifyingOrganization = _lo(options.institution or "Unspecified organization")
        observer.VerificationDateTime = _dt(report.signed_at or when)
        ds.VerifyingObserverSequence = [observer]
    else:
        ds.VerificationFlag = "UNVERIFIED"


def to_dicom_sr(
    report: Report,
    *,
    clock: Clock | None = None,
    uid_factory: UidFactory | None = None,
    study_dataset: Dataset | None = None,
    predecessor: Dataset | None = None,
    options: ExportOptions | None = None,
) -> Dataset:
    """The report as an Enhanced SR dataset (with file meta; write it with :func:`dicom_bytes`).

    ``study_dataset`` is an image of the study (its header fills patient/study and it is
    referenced as evidence); ``predecessor`` is the SR this one replaces (for addenda).
    """
    options = options or ExportOptions()
    uid = uid_factory or random_uid
    when = now(clock)
    if not narrative_sections(report):
        raise ExportError(f"report {report.id}: no section has text; nothing to put in a DICOM SR")
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = ENHANCED_SR
    ds.SOPInstanceUID = uid()
    ds.InstanceCreationDate = when.strftime("%Y%m%d")
    ds.InstanceCreationTime = _tm(when)
    patient_study(ds, report, study_dataset, uid)
    ds.Modality = "SR"
    ds.SeriesInstanceUID = uid()
    ds.SeriesNumber = 1
    ds.SeriesDate = when.strftime("%Y%m%d")
    ds.SeriesTime = _tm(when)
    ds.ReferencedPerformedProcedureStepSequence = []
    ds.Manufacturer = options.manufacturer
    if options.institution:
        ds.InstitutionName = _lo(options.institution)
    if options.department:
        ds.InstitutionalDepartmentName = _lo(options.department)
    ds.ContentDate = when.strftime("%Y%m%d")
    ds.ContentTime = _tm(when)
    ds.InstanceNumber = 1
    _flags(ds, report, when, options)
    if report.procedure.code is not None:
        item = Dataset()
        code = _code(report.procedure.code)
        item.CodeValue = code.value
        item.CodingSchemeDesignator = code.scheme_designator
        item.CodeMeaning = code.meaning
        ds.PerformedProcedureCodeSequence = [item]
    else:
        ds.PerformedProcedureCodeSequence = []
    if ds.AccessionNumber:
        ds.ReferencedRequestSequence = [_request(ds, report)]
    if study_dataset is not None:
        ds.CurrentRequestedProcedureEvidenceSequence = [reference(study_dataset)]
    if predecessor is not None:
        _require(
            predecessor,
            ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"),
            "the predecessor SR",
        )
        if predecessor.StudyInstanceUID != ds.StudyInstanceUID:
            raise ExportError(f"report {report.id}: the predecessor SR belongs to another study")
        ds.PredecessorDocumentsSequence = [reference(predecessor)]
        ds.InstanceNumber = int(predecessor.get("InstanceNumber") or 1) + 1
    elif report.status is Status.AMENDED:
        log.info("report %s is amended but no predecessor SR was given", report.id)
    root = _content(report, options, uid)
    for element in root:
        ds.add(element)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    return ds


def dicom_bytes(ds: Dataset) -> bytes:
    """A DICOM Part 10 file (preamble, file meta, explicit VR little endian) as bytes."""
    buffer = io.BytesIO()
    try:
        dcmwrite(buffer, ds, enforce_file_format=True)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ExportError(f"cannot encode the DICOM dataset: {exc}") from None
    return buffer.getvalue()
