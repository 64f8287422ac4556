// flock(2) for the folder lock (src/store/folder-lock.ts): a lock the kernel drops when its process
// dies, however it dies, so there is no stale lock to detect and no take-over to race. Node's fs has
// no flock; this is the whole binding. Windows is not supported (no flock there).
#include <napi.h>

#ifndef _WIN32
#include <errno.h>
#include <string.h>
#include <sys/file.h>
#endif

namespace {

// flock(fd, exclusive): true when taken, false when another open file holds a conflicting lock.
// Never blocks. Throws on any other error, with the errno's name as `code`.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef _WIN32
  Napi::Error err = Napi::Error::New(env, "flock is not available on Windows");
  err.Set("code", "ENOSYS");
  throw err;
#else
  int fd = info[0].As<Napi::Number>().Int32Value();
  bool exclusive = info[1].As<Napi::Boolean>().Value();
  int rc;
  do {
    rc = flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return Napi::Boolean::New(env, true);
  if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
  int code = errno;
  Napi::Error err = Napi::Error::New(env, std::string("flock failed: ") + strerror(code));
  err.Set("code", code == EBADF ? "EBADF" : code == ENOLCK ? "ENOLCK" : code == EINVAL ? "EINVAL" : "EIO");
  err.Set("errno", Napi::Number::New(env, code));
  throw err;
#endif
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("flock", Napi::Function::New<Flock>(env, "flock"));
  return exports;
}

}  // namespace

NODE_API_MODULE(chromalite_fs, InitModule)
