import { errorResponse } from "@/lib/api/handler";

/** Any other /api/v1 path: the API's own 404 shape, not an HTML page. */
const notFound = async (): Promise<Response> => errorResponse(404, "not_found", "No such API endpoint; see /api/v1/openapi.json.");
export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE };
