"""The descriptor upload form: .yaml files or .zip archives, read into (name, bytes) pairs."""

import posixpath
import zipfile
import zlib
from pathlib import PurePosixPath

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat

from catalog.backstage.descriptors import MAX_FILE_BYTES
from catalog.backstage.import_sources import DESCRIPTOR_SUFFIXES, SKIPPED_FOLDERS

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_FILES = 100  # Django's own limit on files per request
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000


class UploadSizeGuard(FileUploadHandler):
    """Stops reading a request's files past MAX_UPLOAD_BYTES, so a huge upload costs nothing."""

    def __init__(self, request=None, limit: int = MAX_UPLOAD_BYTES):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            # Keep the connection: the rest of the body is read and dropped, the page answers.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int):
        return None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files at once."""

    def __init__(self, *args, **kwargs):
        attrs = {"accept": ".yaml,.yml,.zip", "multiple": True}
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise ValidationError("Choose at least one .yaml, .yml or .zip file.", "required")
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name (2)`-style when an upload of that name is already in."""
    path, number = PurePosixPath(name), 2
    while name in taken:
        name = f"{path.stem} ({number}){path.suffix}"
        number += 1
    return name


def _wanted(member: str) -> bool:
    parts = PurePosixPath(member).parts
    folders = parts[:-1]
    hidden = any(p.startswith(".") or p in SKIPPED_FOLDERS or p == "__MACOSX" for p in folders)
    return member.endswith(DESCRIPTOR_SUFFIXES) and not hidden


def read_zip(upload, prefix: str) -> list[tuple[str, bytes, bool]]:
    """The descriptor files in a zip, bounded in count and size whatever its headers claim."""
    try:
        archive = zipfile.ZipFile(upload)
        members = [info for info in archive.infolist() if not info.is_dir()]
        members = [info for info in members if _wanted(info.filename.replace("\\", "/"))]
        if len(members) > MAX_ZIP_MEMBERS:
            raise ValidationError(
                f"{prefix} holds {len(members)} YAML files: upload at most "
                f"{MAX_ZIP_MEMBERS} at a time, or use manage.py import_catalog"
            )
        found, total = [], 0
        for info in members:
            name = posixpath.normpath(info.filename.replace("\\", "/"))
            if name.startswith(("../", "/")) or name == "..":
                continue  # a path that climbs out of the archive names nothing in it
            with archive.open(info) as member:
                # One byte over the limit is enough for the import to reject the file.
                data = member.read(MAX_FILE_BYTES + 1)
            total += len(data)
            if total > MAX_UNZIPPED_BYTES:
                raise ValidationError(
                    f"{prefix} unzips to more than "
                    f"{filesizeformat(MAX_UNZIPPED_BYTES)} of YAML: split it"
                )
            found.append((f"{prefix}/{name}", data, True))
        return found
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        raise ValidationError(
            f"{prefix} is not a readable .zip archive: zip the folder again "
            "(no encryption) or upload the .yaml files"
        ) from None


class ImportUploadForm(forms.Form):
    files = MultipleFileField(
        label="Descriptor files",
        help_text=(
            "One or more Backstage catalog-info.yaml files (.yaml or .yml), or a .zip of a "
            f"folder of them. At most {filesizeformat(MAX_FILE_BYTES)} per descriptor file and "
            f"{filesizeformat(MAX_UPLOAD_BYTES)} per upload. Location entries may point at other "
            "files in the same upload."
        ),
    )

    allow_owner_changes = forms.BooleanField(
        required=False,
        label="Allow owner changes",
        help_text=(
            "Off (the usual): an entity that already belongs to a team and whose file names "
            "another owner is left exactly as it is and listed as held. On: it moves to the "
            "owner the file names, and each move is recorded in the audit trail."
        ),
    )
    trust_memberships = forms.BooleanField(
        required=False,
        label="Grant team memberships from User documents",
        help_text=(
            "Off (the usual): User documents create accounts but add nobody to a team. On: "
            "each user joins the teams its spec.memberOf lists. Team members can deploy, "
            "request and see their team's resources, so whoever wrote the files decides who "
            "gets in: tick it only for files you have read."
        ),
    )

    def clean_files(self) -> list:
        uploads = self.cleaned_data["files"]
        if len(uploads) > MAX_UPLOAD_FILES:
            raise ValidationError(
                f"Upload at most {MAX_UPLOAD_FILES} files at a time, or zip them."
            )
        for upload in uploads:
            name = upload.name or "upload"
            if not name.lower().endswith((*DESCRIPTOR_SUFFIXES, ".zip")):
                raise ValidationError(f"{name} is not a .yaml, .yml or .zip file.")
            if not name.lower().endswith(".zip") and upload.size > MAX_FILE_BYTES:
                raise ValidationError(
                    f"{name} is {filesizeformat(upload.size)}: a descriptor file can be at most "
                    f"{filesizeformat(MAX_FILE_BYTES)}. Split it into several files."
                )
        self._sources = self._read(uploads)
        return uploads

    @staticmethod
    def _read(uploads: list) -> list[tuple]:
        sources, taken = [], set()
        for upload in uploads:
            name = _unique(PurePosixPath((upload.name or "upload").replace("\\", "/")).name, taken)
            taken.add(name)
            if name.lower().endswith(".zip"):
                sources += read_zip(upload, name)
            else:
                sources.append((name, upload.read()))
        return sources

    def sources(self) -> list[tuple]:
        """(name, bytes[, found by searching]) for each descriptor file, names made unique."""
        return self._sources
