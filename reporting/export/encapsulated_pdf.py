"""DICOM Encapsulated PDF export: the printable report stored in the PACS beside the images."""

from __future__ import annotations

from pydicom import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from reporting.coding import DIAGNOSTIC_IMAGING_REPORT
from reporting.errors import ExportError
from reporting.export.base import Clock, UidFactory, now, random_uid
from reporting.export.common import ExportOptions
from reporting.export.dicom_sr import patient_study, reference
from reporting.model import Report

__all__ = ["ENCAPSULATED_PDF", "to_encapsulated_pdf"]

#: Encapsulated PDF Storage SOP Class.
ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"


def to_encapsulated_pdf(
    report: Report,
    pdf: bytes,
    *,
    clock: Clock | None = None,
    uid_factory: UidFactory | None = None,
    study_dataset: Dataset | None = None,
    options: ExportOptions | None = None,
) -> Dataset:
    """``pdf`` (the rendered report) wrapped in an Encapsulated PDF instance of the study."""
    if not pdf.startswith(b"%PDF-"):
        raise ExportError(f"report {report.id}: the document to encapsulate is not a PDF")
    options = options or ExportOptions()
    uid = uid_factory or random_uid
    when = now(clock)
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = ENCAPSULATED_PDF
    ds.SOPInstanceUID = uid()
    ds.InstanceCreationDate = when.strftime("%Y%m%d")
    ds.InstanceCreationTime = when.strftime("%H%M%S")
    patient_study(ds, report, study_dataset, uid)
    ds.Modality = "DOC"
    ds.SeriesInstanceUID = uid()
    ds.SeriesNumber = 2
    ds.Manufacturer = options.manufacturer
    if options.institution:
        ds.InstitutionName = options.institution[:64]
    ds.ConversionType = "WSD"
    ds.InstanceNumber = 1
    ds.ContentDate = when.strftime("%Y%m%d")
    ds.ContentTime = when.strftime("%H%M%S")
    ds.AcquisitionDateTime = when.strftime("%Y%m%d%H%M%S")
    ds.BurnedInAnnotation = "YES"
    ds.DocumentTitle = (report.procedure.description or "Radiology report")[:64]
    concept = Dataset()
    concept.CodeValue = DIAGNOSTIC_IMAGING_REPORT.value
    concept.CodingSchemeDesignator = DIAGNOSTIC_IMAGING_REPORT.scheme
    concept.CodeMeaning = DIAGNOSTIC_IMAGING_REPORT.meaning
    ds.ConceptNameCodeSequence = [concept]
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    data = pdf if len(pdf) % 2 == 0 else pdf + b"\x00"
    ds.EncapsulatedDocument = data
    ds.EncapsulatedDocumentLength = len(pdf)
    if study_dataset is not None:
        ds.SourceInstanceSequence = [
            reference(study_dataset).ReferencedSeriesSequence[0].ReferencedSOPSequence[0]
        ]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    return ds
