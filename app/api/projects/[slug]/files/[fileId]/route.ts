import { accessErrorResponse } from "@/lib/dal/http";
import { getProjectFile } from "@/lib/dal/runs";

export async function GET(_request: Request, { params }: { params: Promise<{ slug: string; fileId: string }> }): Promise<Response> {
  const { slug, fileId } = await params;
  try {
    const file = await getProjectFile(slug, fileId);
    if (!file) return Response.json({ error: { code: "not_found", message: "Not found." } }, { status: 404 });
    const ascii = file.name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
    return new Response(new Uint8Array(file.content), {
      headers: {
        "Content-Type": file.contentType,
        "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
      },
    });
  } catch (error) {
    return accessErrorResponse(error);
  }
}
