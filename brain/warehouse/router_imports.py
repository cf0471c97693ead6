"""CSV imports: upload a file, then follow the background job's progress."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from brain.billing.catalog import Quota
from brain.billing.gates import require_quota_room
from brain.core.deps import AppSettings, DbSession, Jobs, ReadData, WriteImports
from brain.core.errors import ProblemError
from brain.core.models import uuid7
from brain.core.pagination import PageParams, SortOptions, json_response, page_params, paginate
from brain.core.schemas import Page
from brain.warehouse import service
from brain.warehouse.imports import discard_file, import_file_path, safe_filename, save_upload
from brain.warehouse.models import ImportJob, ImportKind
from brain.warehouse.repository import ImportJobRepository
from brain.warehouse.router_common import created, object_path, page_of
from brain.warehouse.schemas import ImportRead

router = APIRouter(prefix="/api/v1/organizations/{org_id}/imports", tags=["imports"])
IMPORT_SORT = SortOptions(ImportJob.id, "-created_at", created_at=ImportJob.created_at)
_KINDS = [kind.value for kind in ImportKind]

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "title": "ImportUpload",
                    "required": ["kind", "file"],
                    "properties": {
                        "kind": {
                            "type": "string",
                            "enum": _KINDS,
                            "description": "What the file holds.",
                        },
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "A UTF-8 CSV file whose first line is the header.",
                        },
                    },
                }
            }
        },
    }
}


def _is_multipart(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "multipart/form-data"


def _upload_errors(kind: object, upload: object) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if not isinstance(kind, str) or kind not in _KINDS:
        errors.append({"loc": ["body", "kind"], "message": f"Must be one of: {', '.join(_KINDS)}."})
    if not isinstance(upload, UploadFile):
        errors.append({"loc": ["body", "file"], "message": "Attach the CSV file as 'file'."})
    return errors


@router.post(
    "",
    response_model=ImportRead,
    status_code=202,
    operation_id="create_import",
    openapi_extra=_UPLOAD_BODY,
    # The rows are counted as the job writes them; a new import needs room this month.
    dependencies=[Depends(require_quota_room(Quota.events_per_month))],
)
async def create_import(
    org_id: uuid.UUID,
    request: Request,
    auth: WriteImports,
    session: DbSession,
    jobs: Jobs,
    settings: AppSettings,
) -> Response:
    """Upload a CSV file (multipart: `kind`, `file`); it is imported in the background."""
    if not _is_multipart(request):
        raise ProblemError(
            415,
            "Upload the file as multipart/form-data with the fields 'kind' and 'file'.",
            headers={"Accept-Post": "multipart/form-data"},
        )
    import_id = uuid7()
    path = import_file_path(settings.imports_dir, import_id)
    # Starlette spools the upload to a temporary file; it is copied here in chunks.
    async with request.form(max_files=1, max_fields=10) as form:
        kind, upload = form.get("kind"), form.get("file")
        errors = _upload_errors(kind, upload)
        if errors:
            raise ProblemError(422, "The upload is incomplete.", errors=errors)
        assert isinstance(upload, UploadFile)
        filename = safe_filename(upload.filename)
        try:
            size = await save_upload(upload, path)
        except BaseException:
            await discard_file(path)
            raise
    try:
        if size == 0:
            raise ProblemError(
                422,
                "The file is empty.",
                errors=[{"loc": ["body", "file"], "message": "The file is empty."}],
            )
        job = service.create_import_job(
            session,
            auth,
            import_id=import_id,
            kind=ImportKind(str(kind)),
            filename=filename,
            file_path=path,
            size_bytes=size,
        )
        await session.flush()
    except BaseException:
        await discard_file(path)
        raise
    jobs.enqueue(
        "warehouse.run_import", import_id=str(import_id), organization_id=str(org_id)
    )
    return created(
        ImportRead.model_validate(job),
        object_path(org_id, "imports", import_id),
        status_code=202,
    )


@router.get("", response_model=Page[ImportRead], operation_id="list_imports")
async def list_imports(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
) -> Response:
    """The organization's imports, newest first."""
    stmt = ImportJobRepository(session, auth).select()
    rows, cursor = await paginate(session, stmt, request=request, params=params, sort=IMPORT_SORT)
    return page_of(request, ImportRead, rows, cursor)


@router.get("/{import_id}", response_model=ImportRead, operation_id="get_import")
async def get_import(
    org_id: uuid.UUID, import_id: uuid.UUID, auth: ReadData, session: DbSession
) -> Response:
    """One import: its status, progress, counts and the first rejected rows."""
    job = await ImportJobRepository(session, auth).get_or_404(import_id)
    return json_response(ImportRead.model_validate(job))


routers = [router]
