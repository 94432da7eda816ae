// The edge runtime's main service (functions profile): routes /<name>/... to the user
// function in ../<name>/index.ts. Put functions next to this folder; Kong serves them
// under /functions/v1/<name>. JWT verification is the user function's job when
// VERIFY_JWT is false (the default here, as upstream).

Deno.serve(async (request: Request) => {
  const url = new URL(request.url);
  const name = url.pathname.split("/")[1];
  if (!name || name === "main") {
    return Response.json({ msg: "missing function name in request" }, { status: 400 });
  }
  try {
    const worker = await EdgeRuntime.userWorkers.create({
      servicePath: `/home/deno/functions/${name}`,
      memoryLimitMb: 150,
      workerTimeoutMs: 60_000,
      noModuleCache: false,
      envVars: Object.entries(Deno.env.toObject()),
    });
    return await worker.fetch(request);
  } catch (error) {
    return Response.json({ msg: String(error) }, { status: 500 });
  }
});
