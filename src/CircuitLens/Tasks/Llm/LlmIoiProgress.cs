// Progress of an LLM IOI generation run, reported after each batch of requests.
namespace CircuitLens.Tasks.Llm;

public sealed record LlmIoiProgress(int Accepted, int Target, int Rejected, int RequestsDone, int MaxRequests);
