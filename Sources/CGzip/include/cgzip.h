#ifndef FTPSCOPE_CGZIP_H
#define FTPSCOPE_CGZIP_H
#endif
